import {
  listDeliveryAttemptsQueryKey,
  replayDeliveryMutation,
  type DeliveryDto,
  type SkipReason,
  type TargetDto,
} from '@webhooker/api-client';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { Button } from '../../components/Button';
import { DeliveryStatusBadge, isFinished, isReplayable } from '../../components/DeliveryStatusBadge';
import { RelativeTime } from '../../components/RelativeTime';
import { plural } from '../../lib/format';
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
    onSuccess: () =>
      invalidateDeliveries(queryClient, {
        webhookId: delivery.webhookId,
        eventId: delivery.eventId,
        targetId: delivery.targetId,
        deliveryId: delivery.id,
      }),
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
            {delivery.nextAttemptAt && !isFinished(delivery.status) && (
              <>
                {' · next attempt '}
                <RelativeTime value={delivery.nextAttemptAt} />
              </>
            )}
          </p>
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
