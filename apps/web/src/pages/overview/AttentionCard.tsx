import type { TargetStatsDto } from '@webhooker/api-client';
import { Link } from 'react-router';
import { Badge } from '../../components/Badge';
import { Card } from '../../components/Card';
import { RelativeTime } from '../../components/RelativeTime';
import { formatFullDate, plural } from '../../lib/format';
import { formatPercent } from './chartData';

/** Whether a target needs someone to look at it: failing, circuit open, or not receiving. */
export function needsAttention(target: TargetStatsDto): boolean {
  return target.failingSince != null || target.circuit !== 'closed' || target.state !== 'active';
}

function StateBadge({ target }: { target: TargetStatsDto }) {
  if (target.state === 'disabled') return <Badge tone="red">disabled</Badge>;
  if (target.state === 'paused') return <Badge tone="grey">paused</Badge>;
  if (target.circuit === 'open') return <Badge tone="red">circuit open</Badge>;
  if (target.circuit === 'half-open') return <Badge tone="amber">circuit half-open</Badge>;
  return <Badge tone="amber">failing</Badge>;
}

function AttentionItem({ target }: { target: TargetStatsDto }) {
  const waiting = target.queue.pending + target.queue.retrying;
  return (
    <li className="px-4 py-4 sm:px-6" aria-label={`Target ${target.name} of ${target.webhookName}`}>
      <div className="flex flex-wrap items-center gap-x-2 gap-y-1">
        <Link
          to={`/webhooks/${target.webhookId}`}
          className="min-w-0 font-medium break-words text-slate-900 hover:text-primary-700"
        >
          {target.webhookName} → {target.name}
        </Link>
        <StateBadge target={target} />
      </div>
      {target.failingSince && (
        <p className="mt-1 text-sm font-medium text-red-700">
          Failing since{' '}
          <time dateTime={target.failingSince} title={formatFullDate(target.failingSince)}>
            {formatFullDate(target.failingSince)}
          </time>{' '}
          (<RelativeTime value={target.failingSince} />)
        </p>
      )}
      {target.state === 'disabled' && target.disabledReason && (
        <p className="mt-1 text-sm text-red-700">Disabled by webhooker: {target.disabledReason}</p>
      )}
      {target.lastError && (
        <p className="mt-1 font-mono text-xs break-all text-slate-600" title="Last error">
          {target.lastError}
        </p>
      )}
      <p className="mt-1 text-xs text-slate-500">
        {formatPercent(target.successRate)} success ·{' '}
        {plural(target.failed, 'failed delivery', 'failed deliveries')}
        {waiting > 0 && <> · {plural(waiting, 'delivery', 'deliveries')} waiting</>}
        {target.queue.paused > 0 && <> · {plural(target.queue.paused, 'delivery', 'deliveries')} paused</>}
      </p>
    </li>
  );
}

/** The targets that are failing, open, paused or disabled, longest failing first; or that all is well. */
export function AttentionCard({ targets }: { targets: TargetStatsDto[] }) {
  const attention = targets.filter(needsAttention);
  return (
    <Card
      title="Targets needing attention"
      description={
        attention.length === 0
          ? undefined
          : `${plural(attention.length, 'target')} failing, paused or with an open circuit.`
      }
      flush
    >
      {attention.length === 0 ? (
        <p className="px-4 py-5 text-sm text-emerald-700 sm:px-6">
          {targets.length === 0 ? 'No targets yet.' : `All ${plural(targets.length, 'target')} healthy.`}
        </p>
      ) : (
        <ul className="divide-y divide-slate-100">
          {attention.map((target) => (
            <AttentionItem key={target.id} target={target} />
          ))}
        </ul>
      )}
    </Card>
  );
}
