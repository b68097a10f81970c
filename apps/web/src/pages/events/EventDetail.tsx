import { getEventOptions, replayEventMutation, type EventDetailDto } from '@webhooker/api-client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import { toast } from 'sonner';
import { Button } from '../../components/Button';
import { isFinished } from '../../components/DeliveryStatusBadge';
import { ErrorAlert } from '../../components/ErrorAlert';
import { plural } from '../../lib/format';
import { errorMessage } from '../../lib/problem';
import { invalidateDeliveries, LIVE_REFRESH_MS, targetsOptions } from '../../lib/queries';
import { BodyView } from './BodyView';
import { DeliveryItem } from './DeliveryItem';

function unfinished(event: EventDetailDto | undefined): boolean {
  return Boolean(event?.deliveries.some((delivery) => !isFinished(delivery.status)));
}

/**
 * Everything about one event: the request as received and its deliveries with their attempts.
 * It refreshes while a delivery is still under way.
 */
export function EventDetail({ eventId, showLink = false }: { eventId: string; showLink?: boolean }) {
  const queryClient = useQueryClient();
  const event = useQuery({
    ...getEventOptions({ path: { id: eventId } }),
    refetchInterval: (query) => (unfinished(query.state.data) ? LIVE_REFRESH_MS : false),
  });
  const webhookId = event.data?.webhookId ?? '';
  const targets = useQuery({ ...targetsOptions(webhookId), enabled: webhookId !== '' });
  const replay = useMutation({
    ...replayEventMutation(),
    onSuccess: (deliveries) => {
      const paused = deliveries.filter((delivery) => delivery.status === 'paused').length;
      if (deliveries.length === 0) toast.info('Nothing to replay: the webhook has no target');
      else
        toast.success(
          `Replay queued: ${plural(deliveries.length, 'delivery', 'deliveries')}` +
            (paused > 0 ? ` (${paused} waiting for a paused target)` : ''),
        );
      return invalidateDeliveries(queryClient, { webhookId, eventId });
    },
  });

  if (event.isPending) return <p className="text-sm text-slate-500">Loading…</p>;
  if (event.isError) return <ErrorAlert message={errorMessage(event.error)} />;

  const { data } = event;
  const headers = Object.entries(data.headers).sort(([a], [b]) => a.localeCompare(b));
  return (
    <div className="space-y-5">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <p className="text-xs text-slate-500">
          Event <span className="font-mono text-slate-700">{data.id}</span>
          {showLink && (
            <>
              {' · '}
              <Link to={`/events/${data.id}`} className="font-medium text-primary-600 hover:text-primary-700">
                Open on its own page
              </Link>
            </>
          )}
        </p>
        <div className="flex items-center gap-3">
          {replay.isError && <span className="text-xs text-red-600">{errorMessage(replay.error)}</span>}
          <Button
            size="sm"
            disabled={replay.isPending}
            onClick={() => replay.mutate({ path: { id: data.id } })}
            title="Deliver it again to every active target of the webhook, as new deliveries"
          >
            {replay.isPending ? 'Replaying…' : 'Replay event'}
          </Button>
        </div>
      </div>
      <div className="grid gap-6 lg:grid-cols-5">
        <section aria-label="Request" className="min-w-0 space-y-4 lg:col-span-3">
          {data.query && (
            <div>
              <h3 className="mb-1.5 text-sm font-medium text-slate-700">Query</h3>
              <p className="rounded-lg bg-white px-3 py-2 font-mono text-xs break-all text-slate-800 ring-1 ring-slate-200 ring-inset">
                ?{data.query}
              </p>
            </div>
          )}
          <div>
            <h3 className="mb-1.5 text-sm font-medium text-slate-700">Headers</h3>
            <div className="max-h-72 overflow-auto rounded-lg bg-white ring-1 ring-slate-200 ring-inset">
              <table aria-label="Headers" className="min-w-full text-xs">
                <tbody className="divide-y divide-slate-100">
                  {headers.map(([name, value]) => (
                    <tr key={name}>
                      <th
                        scope="row"
                        className="w-32 px-3 py-1.5 text-left align-top font-mono font-medium wrap-anywhere text-slate-500 sm:w-48"
                      >
                        {name}
                      </th>
                      <td className="px-3 py-1.5 font-mono break-all text-slate-800">{value}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </div>
          <BodyView event={data} />
        </section>
        <section aria-label="Deliveries" className="min-w-0 lg:col-span-2">
          <h3 className="mb-1.5 text-sm font-medium text-slate-700">Deliveries</h3>
          {data.deliveries.length === 0 ? (
            <p className="text-sm text-slate-500">
              The webhook had no active target when this event came in.
            </p>
          ) : (
            <ul className="space-y-3">
              {data.deliveries.map((delivery) => (
                <DeliveryItem
                  key={delivery.id}
                  delivery={delivery}
                  target={targets.data?.items.find((target) => target.id === delivery.targetId)}
                  targetsPending={targets.isPending}
                />
              ))}
            </ul>
          )}
        </section>
      </div>
    </div>
  );
}
