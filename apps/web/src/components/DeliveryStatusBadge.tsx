import type { DeliveryCountsDto, DeliveryStatus, SkipReason } from '@webhooker/api-client';
import { Badge, type BadgeTone } from './Badge';

export const DELIVERY_STATUSES: DeliveryStatus[] = [
  'pending',
  'retrying',
  'paused',
  'delivered',
  'failed',
  'cancelled',
  'skipped',
];

const TONES: Record<DeliveryStatus, BadgeTone> = {
  pending: 'grey',
  retrying: 'amber',
  paused: 'grey',
  delivered: 'green',
  failed: 'red',
  cancelled: 'grey',
  skipped: 'grey',
};

/** Why a delivery was `skipped`, as the event log says it. */
export const SKIP_REASONS: Record<SkipReason, string> = {
  filter: 'filtered out',
  transform: 'skipped by transform',
};

/** Whether nothing more will happen to a delivery on its own. */
export function isFinished(status: DeliveryStatus): boolean {
  return isReplayable(status) || status === 'skipped';
}

/** Whether a delivery can be sent again: a skipped one cannot (its target does not take the event). */
export function isReplayable(status: DeliveryStatus): boolean {
  return status === 'delivered' || status === 'failed' || status === 'cancelled';
}

/** The status pill; a skipped delivery's is followed by why ("filtered out"). */
export function DeliveryStatusBadge({
  status,
  skipReason,
}: {
  status: DeliveryStatus;
  skipReason?: SkipReason | null;
}) {
  const badge = <Badge tone={TONES[status]}>{status}</Badge>;
  if (status !== 'skipped' || !skipReason) return badge;
  return (
    <span className="inline-flex items-center gap-1.5 whitespace-nowrap">
      {badge}
      <span className="text-xs text-slate-500">{SKIP_REASONS[skipReason]}</span>
    </span>
  );
}

/** "2 delivered" "1 failed": one pill per status an event's deliveries are in. */
export function DeliveryCounts({ counts }: { counts: DeliveryCountsDto }) {
  const present = DELIVERY_STATUSES.filter((status) => counts[status] > 0);
  if (present.length === 0) return <span className="text-xs text-slate-400">No targets</span>;
  return (
    <span className="inline-flex flex-wrap justify-end gap-1">
      {present.map((status) => (
        <Badge key={status} tone={TONES[status]}>
          {counts[status]} {status}
        </Badge>
      ))}
    </span>
  );
}
