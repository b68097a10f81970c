import {
  listDeliveryAttemptsQueryKey,
  replayDeliveryMutation,
  type DeliveryDto,
  type SkipReason,
  type TargetDto,
} from '@webhooker/api-client';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { toast } from 'sonner';
import { Button } from '../../components/Button';
import { DeliveryStatusBadge, isFinished, isReplayable } from '../../components/DeliveryStatusBadge';
import { RelativeTime, useNow } from '../../components/RelativeTime';
import { formatClock, formatDuration, plural } from '../../lib/format';
import { errorMessage } from '../../lib/problem';
import { invalidateDeliveries } from '../../lib/queries';
import { AttemptTimeline } from './AttemptTimeline';

/** Why a delivery was skipped, as the event log says it. */
const SKIP_REASONS: Record<SkipReason, string> = {
  filter: "the target's filter does not match this event",
  transform: "the target's transform returned null",
};

/** One delivery of an event: its target, state, attempts and Replay once it is finished. */
interface DeliveryItemProps {
  delivery: DeliveryDto;
  /** The delivery's target; undefined when it was deleted. */
  target?: TargetDto;
  /** The targets are still loading: the name is not known yet. */
  targetsPending: boolean;
}

export function DeliveryItem({ delivery, target, targetsPending }: DeliveryItemProps) {
  const queryClient = useQueryClient();
  const name = target?.name ?? (targetsPending ? 'Target' : 'Deleted target');
  // A skipped delivery with no attempt has nothing to show but why it was skipped.
  const neverAttempted = delivery.status === 'skipped' && delivery.attemptCount === 0;
  const replay = useMutation({
    ...replayDeliveryMutation(),
    onSuccess: (replayed) => {
      if (replayed.status === 'paused') toast.info(`Replay waiting: ${name} is paused`);
      else toast.success(`Replay queued: 1 delivery to ${name}`);
      return invalidateDeliveries(queryClient, {
        webhookId: delivery.webhookId,
        eventId: delivery.eventId,
        targetId: delivery.targetId,
        deliveryId: delivery.id,
      });
    },
  });

  // The attempts change when the delivery does: refresh them as the event is polled.
  const version = `${delivery.status}:${delivery.attemptCount}:${delivery.updatedAt}`;
  const seen = useRef(version);
  useEffect(() => {
    if (seen.current === version) return;
    seen.current = version;
    queryClient.invalidateQueries({ queryKey: listDeliveryAttemptsQueryKey({ path: { id: delivery.id } }) });
  }, [version, delivery.id, queryClient]);

  return (
    <li
      aria-label={`Delivery to ${name}`}
      className="rounded-lg bg-white px-4 py-3 shadow-sm ring-1 ring-slate-900/5"
    >
      <div className="flex items-center gap-2">
        <span
          className="min-w-0 flex-1 truncate text-sm font-medium text-slate-900"
          title={delivery.targetId}
        >
          {name}
          {target && <span className="ml-1.5 text-xs font-normal text-slate-500">{target.type}</span>}
        </span>
        <DeliveryStatusBadge status={delivery.status} skipReason={delivery.skipReason} />
        {isReplayable(delivery.status) && (
          <Button
            size="sm"
            disabled={replay.isPending}
            aria-label={`Replay delivery to ${name}`}
            onClick={() => replay.mutate({ path: { id: delivery.id } })}
          >
            {replay.isPending ? 'Replaying…' : 'Replay'}
          </Button>
        )}
      </div>
      {delivery.status === 'skipped' && (
        <p className="mt-1 text-xs text-slate-500">
          Not sent: {SKIP_REASONS[delivery.skipReason ?? 'filter']}
        </p>
      )}
      {!neverAttempted && (
        <>
          <p className="mt-1 text-xs text-slate-500">
            {plural(delivery.attemptCount, 'attempt')}
            {delivery.lastStatusCode != null && ` · last HTTP ${delivery.lastStatusCode}`}
            {delivery.nextAttemptAt && !delivery.circuitOpenUntil && !isFinished(delivery.status) && (
              <>
                {' · '}
                <NextAttempt at={delivery.nextAttemptAt} />
              </>
            )}
            {delivery.replayedAt && (
              <>
                {' · replayed '}
                <RelativeTime value={delivery.replayedAt} />
                {delivery.replayedBy && ` by ${delivery.replayedBy}`}
              </>
            )}
          </p>
          {delivery.circuitOpenUntil && <CircuitWait until={delivery.circuitOpenUntil} />}
          {delivery.lastError && delivery.lastError !== `HTTP ${delivery.lastStatusCode}` && (
            <p className="mt-1 text-xs break-words text-red-700">{delivery.lastError}</p>
          )}
        </>
      )}
      {replay.isError && <p className="mt-1 text-xs text-red-600">{errorMessage(replay.error)}</p>}
      {!neverAttempted && (
        <div className="mt-3">
          <AttemptTimeline deliveryId={delivery.id} />
        </div>
      )}
    </li>
  );
}

/** An attempt due less than this long ago is "due now" (it waits for a free slot or the next sweep). */
const DUE_NOW_MS = 60_000;

/** "next attempt in 20 seconds", then "due now", then "due 5 minutes ago" if it still has not come. */
function NextAttempt({ at }: { at: string }) {
  const now = useNow(1000);
  if (new Date(at).getTime() > now) {
    return (
      <>
        next attempt <RelativeTime value={at} />
      </>
    );
  }
  if (now - new Date(at).getTime() < DUE_NOW_MS) return <>next attempt due now</>;
  return (
    <>
      next attempt due <RelativeTime value={at} />
    </>
  );
}

/** The target's circuit is open: nothing is attempted before it reopens, counted down. */
function CircuitWait({ until }: { until: string }) {
  const now = useNow(1000);
  const left = new Date(until).getTime() - now;
  return (
    <p role="status" className="mt-1 text-xs font-medium text-amber-700">
      Waiting: circuit open until {formatClock(until)}
      {left > 0 ? ` (in ${formatDuration(Math.ceil(left / 1000) * 1000)})` : ' (reopening now)'}
    </p>
  );
}
