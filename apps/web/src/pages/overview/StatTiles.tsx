import type { StatsDto } from '@webhooker/api-client';
import type { ReactNode } from 'react';
import { plural } from '../../lib/format';
import { formatLatency, formatPercent } from './chartData';

type Tone = 'plain' | 'good' | 'warn' | 'bad';

const TONES: Record<Tone, string> = {
  plain: 'text-slate-900',
  good: 'text-emerald-700',
  warn: 'text-amber-700',
  bad: 'text-red-700',
};

function Tile({
  label,
  value,
  detail,
  tone = 'plain',
}: {
  label: string;
  value: string;
  detail: ReactNode;
  tone?: Tone;
}) {
  return (
    <div
      className="min-w-0 rounded-xl bg-white px-4 py-4 shadow-sm ring-1 ring-slate-900/5"
      role="group"
      aria-label={label}
    >
      <dt className="text-xs font-medium tracking-wide text-slate-500 uppercase">{label}</dt>
      <dd className={`mt-1 text-2xl font-semibold tabular-nums ${TONES[tone]}`}>{value}</dd>
      <dd className="mt-1 text-xs text-slate-500">{detail}</dd>
    </div>
  );
}

function successTone(rate: number | null | undefined): Tone {
  if (rate === null || rate === undefined) return 'plain';
  if (rate >= 0.99) return 'good';
  return rate >= 0.9 ? 'warn' : 'bad';
}

/** The window's numbers at a glance: traffic, outcomes, latency, what waits, what is broken. */
export function StatTiles({ stats }: { stats: StatsDto }) {
  const { totals, queue } = stats;
  const waiting = queue.pending + queue.retrying;
  const stopped = stats.pausedTargets + stats.disabledTargets;
  return (
    <dl className="grid grid-cols-2 gap-3 sm:gap-4 lg:grid-cols-3 xl:grid-cols-6">
      <Tile
        label="Events received"
        value={totals.eventsReceived.toLocaleString()}
        detail={plural(totals.attempts, 'attempt')}
      />
      <Tile
        label="Deliveries"
        value={totals.delivered.toLocaleString()}
        detail={
          <>
            delivered ·{' '}
            <span className={totals.failed > 0 ? 'font-medium text-red-700' : ''}>
              {totals.failed.toLocaleString()} failed
            </span>
            {totals.skipped > 0 && <> · {totals.skipped.toLocaleString()} skipped</>}
          </>
        }
      />
      <Tile
        label="Success rate"
        value={formatPercent(totals.successRate)}
        tone={successTone(totals.successRate)}
        detail="of deliveries finished"
      />
      <Tile
        label="Latency p50"
        value={formatLatency(totals.latencyP50Ms)}
        detail={`p95 ${formatLatency(totals.latencyP95Ms)}`}
      />
      <Tile
        label="Open circuits"
        value={stats.openCircuits.toLocaleString()}
        tone={stats.openCircuits > 0 ? 'bad' : 'plain'}
        detail={`${plural(waiting, 'delivery', 'deliveries')} waiting${queue.retrying > 0 ? `, ${queue.retrying.toLocaleString()} retrying` : ''}`}
      />
      <Tile
        label="Paused targets"
        value={stopped.toLocaleString()}
        tone={stats.disabledTargets > 0 ? 'bad' : stopped > 0 ? 'warn' : 'plain'}
        detail={`${stats.disabledTargets.toLocaleString()} disabled by webhooker · ${plural(queue.paused, 'delivery', 'deliveries')} kept`}
      />
    </dl>
  );
}
