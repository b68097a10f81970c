import type { StatsDto, TargetStatsDto } from '@webhooker/api-client';
import { RelativeTime } from '../../components/RelativeTime';
import { plural } from '../../lib/format';
import { formatPercent, sparklinePath, targetActivity } from '../overview/chartData';

const WIDTH = 96;
const HEIGHT = 24;

/** Deliveries per hour of the last 24 hours (grey) and the failed ones among them (red), as inline SVG. */
export function Sparkline({ stats, target }: { stats: StatsDto; target: TargetStatsDto }) {
  const activity = targetActivity(stats, target.series);
  const total = activity.map((point) => point.delivered + point.failed);
  const max = Math.max(...total, 1);
  return (
    <svg
      width={WIDTH}
      height={HEIGHT + 2}
      viewBox={`0 -1 ${WIDTH} ${HEIGHT + 2}`}
      role="img"
      aria-label={`Deliveries per hour, last 24 hours: ${total.reduce((sum, n) => sum + n, 0)} in all`}
      className="shrink-0"
    >
      <path d={sparklinePath(total, WIDTH, HEIGHT, max)} fill="none" stroke="#94a3b8" strokeWidth={1.5} />
      {target.failed > 0 && (
        <path
          d={sparklinePath(
            activity.map((point) => point.failed),
            WIDTH,
            HEIGHT,
            max,
          )}
          fill="none"
          stroke="#ef4444"
          strokeWidth={1.5}
        />
      )}
    </svg>
  );
}

/** A target's last 24 hours in a line: success rate, last delivery, last error, and a sparkline. */
export function TargetStatsLine({ stats, target }: { stats: StatsDto; target: TargetStatsDto }) {
  const finished = target.delivered + target.failed;
  return (
    <div
      className="mt-2 flex flex-wrap items-center gap-x-3 gap-y-1 text-xs text-slate-500"
      aria-label="Last 24 hours"
    >
      <Sparkline stats={stats} target={target} />
      <span>
        <span
          className={`font-semibold ${target.failed > 0 ? 'text-red-700' : finished > 0 ? 'text-emerald-700' : 'text-slate-700'}`}
        >
          {formatPercent(target.successRate)}
        </span>{' '}
        success of {plural(finished, 'delivery', 'deliveries')} in 24 h
      </span>
      <span>
        {target.lastDeliveryAt ? (
          <>
            last delivery <RelativeTime value={target.lastDeliveryAt} />
          </>
        ) : (
          'no delivery in 24 h'
        )}
      </span>
      {target.failingSince && target.lastError && (
        <span className="min-w-0 font-mono break-all text-red-700" title="Last error">
          {target.lastError}
        </span>
      )}
    </div>
  );
}
