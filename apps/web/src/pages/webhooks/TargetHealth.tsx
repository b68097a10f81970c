import type { TargetDto } from '@webhooker/api-client';
import { Badge } from '../../components/Badge';
import { formatFullDate } from '../../lib/format';

const time = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });

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
        circuit open until {time.format(new Date(openUntil))}
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

export function ActiveBadge({ active }: { active: boolean }) {
  return active ? <Badge tone="green">active</Badge> : <Badge tone="grey">inactive</Badge>;
}
