import {
  listTargetDeliveriesOptions,
  replayFailedDeliveriesMutation,
  type TargetDto,
} from '@webhooker/api-client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import { toast } from 'sonner';
import { Button } from '../../components/Button';
import { Dialog, DialogActions } from '../../components/Dialog';
import { ErrorAlert } from '../../components/ErrorAlert';
import { RelativeTime } from '../../components/RelativeTime';
import { plural } from '../../lib/format';
import { errorMessage } from '../../lib/problem';
import { invalidateDeliveries } from '../../lib/queries';

const SHOWN = 50;

/** A target's dead letters: the deliveries that used up their retries, and "Replay all failed". */
export function FailedDeliveriesDialog({ target, onClose }: { target: TargetDto; onClose: () => void }) {
  const queryClient = useQueryClient();
  const failed = useQuery(
    listTargetDeliveriesOptions({ path: { id: target.id }, query: { status: 'failed', limit: SHOWN } }),
  );
  const replay = useMutation({
    ...replayFailedDeliveriesMutation(),
    onSuccess: ({ replayed }) => {
      toast.success(`Replay queued: ${plural(replayed, 'delivery', 'deliveries')} to ${target.name}`);
      return invalidateDeliveries(queryClient, { webhookId: target.webhookId, targetId: target.id });
    },
  });
  const items = failed.data?.items ?? [];

  return (
    <Dialog
      size="wide"
      title={`Failed deliveries of ${target.name}`}
      description="Deliveries that used up their retries. Replaying sends them again, with a fresh set of retries."
      onClose={onClose}
    >
      <div className="space-y-4">
        <ul className="max-h-80 divide-y divide-slate-100 overflow-y-auto rounded-lg ring-1 ring-slate-200">
          {failed.isPending && <li className="px-4 py-3 text-sm text-slate-500">Loading…</li>}
          {failed.isError && <li className="px-4 py-3 text-sm text-red-600">{errorMessage(failed.error)}</li>}
          {failed.isSuccess && items.length === 0 && (
            <li className="px-4 py-6 text-center text-sm text-slate-500">No failed deliveries.</li>
          )}
          {items.map((delivery) => (
            <li key={delivery.id} className="flex flex-wrap items-center gap-x-4 gap-y-1 px-4 py-2.5 text-sm">
              <span className="w-28 shrink-0 text-slate-700">
                <RelativeTime value={delivery.createdAt} />
              </span>
              <span className="min-w-0 flex-1 truncate text-xs text-red-700 max-sm:order-last max-sm:basis-full">
                {[
                  delivery.lastStatusCode != null && `HTTP ${delivery.lastStatusCode}`,
                  delivery.lastError !== `HTTP ${delivery.lastStatusCode}` && delivery.lastError,
                ]
                  .filter(Boolean)
                  .join(' · ')}
              </span>
              <span className="shrink-0 text-xs text-slate-500">
                {plural(delivery.attemptCount, 'attempt')}
              </span>
              <Link
                to={`/events/${delivery.eventId}`}
                className="shrink-0 text-xs font-medium text-primary-600 hover:text-primary-700 max-sm:ml-auto max-sm:py-2"
              >
                View event
              </Link>
            </li>
          ))}
        </ul>
        {failed.data?.nextCursor && (
          <p className="text-xs text-slate-500">Showing the {SHOWN} newest; replaying covers them all.</p>
        )}
        {replay.isSuccess && (
          <p role="status" className="text-sm text-emerald-700">
            {plural(replay.data.replayed, 'delivery', 'deliveries')} queued again.
          </p>
        )}
        <ErrorAlert message={replay.isError ? errorMessage(replay.error) : undefined} />
      </div>
      <DialogActions>
        <Button data-autofocus onClick={onClose}>
          Close
        </Button>
        <Button
          variant="primary"
          disabled={replay.isPending || items.length === 0}
          onClick={() => replay.mutate({ path: { id: target.id } })}
        >
          {replay.isPending ? 'Replaying…' : 'Replay all failed'}
        </Button>
      </DialogActions>
    </Dialog>
  );
}
