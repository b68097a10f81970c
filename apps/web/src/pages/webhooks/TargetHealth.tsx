import type { TargetDto } from '@webhooker/api-client';
import { Badge } from '../../components/Badge';
import { RelativeTime } from '../../components/RelativeTime';
import { formatClock, formatFullDate, plural } from '../../lib/format';

/**
 * The circuit breaker of an http target: green "healthy", amber while failing or half-open
 * (one probe let through), red while open (no attempts until the cooldown ends).
 */
export function CircuitBadge({ target }: { target: TargetDto }) {
  if (target.type !== 'http') return null;
  const { state, openUntil, consecutiveFailures, failingSince } = target.circuit;
  const since = failingSince ? `Failing since ${formatFullDate(failingSince)}` : undefined;
  if (state === 'open' && openUntil) {
    return (
      <Badge tone="red" title={`${since ?? 'Failing'}; no attempts until ${formatFullDate(openUntil)}`}>
        circuit open until {formatClock(openUntil)}
      </Badge>
    );
  }
  if (state === 'half-open') {
    return (
      <Badge tone="amber" title={`${since ?? 'Failing'}; one probe attempt decides whether it recovered`}>
        circuit half-open
      </Badge>
    );
  }
  if (consecutiveFailures > 0) {
    return (
      <Badge tone="amber" title={since}>
        {consecutiveFailures} failed {consecutiveFailures === 1 ? 'attempt' : 'attempts in a row'}
      </Badge>
    );
  }
  return <Badge tone="green">healthy</Badge>;
}

export function TargetTypeBadge({ target }: { target: TargetDto }) {
  return <Badge tone="primary">{target.type}</Badge>;
}

/** Whether events go out to the target now, or wait for it (paused). */
export function ActiveBadge({ target }: { target: TargetDto }) {
  if (target.active) return <Badge tone="green">active</Badge>;
  return (
    <Badge tone="grey" title="Nothing is sent to it; its events are kept until it is resumed">
      paused
    </Badge>
  );
}

/**
 * What a paused target holds: how many deliveries wait for it, and, when webhooker paused it
 * itself (a 410 Gone, failing too long), why and when.
 */
export function PausedNote({ target }: { target: TargetDto }) {
  if (target.active) return null;
  const waiting =
    target.pausedDeliveries === 0
      ? 'No deliveries wait yet; new events are kept for it.'
      : `${plural(target.pausedDeliveries, 'delivery waits', 'deliveries wait')}; they go out oldest first when it is resumed.`;
  if (!target.disabledReason) {
    return (
      <p className="mt-2 rounded-lg bg-slate-50 px-3 py-2 text-xs text-slate-600 ring-1 ring-slate-500/15 ring-inset">
        Paused: nothing is sent to it. {waiting}
      </p>
    );
  }
  return (
    <p className="mt-2 rounded-lg bg-amber-50 px-3 py-2 text-xs text-amber-800 ring-1 ring-amber-600/20 ring-inset">
      <span className="font-medium">
        Paused by webhooker
        {target.disabledAt && (
          <>
            {' '}
            <RelativeTime value={target.disabledAt} />
          </>
        )}
        :
      </span>{' '}
      {target.disabledReason}. {waiting} Resume it once the receiver is fixed.
    </p>
  );
}
