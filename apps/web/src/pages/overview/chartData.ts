import type { StatsDto, StatsWindow, TargetPointDto } from '@webhooker/api-client';

/** One interval of the overview's charts: every interval of the window, empty ones as zeros. */
export interface ChartPoint {
  /** Start of the interval, in ms since the epoch (the charts' x axis). */
  at: number;
  eventsReceived: number;
  delivered: number;
  failed: number;
  /** null where nothing was attempted: the latency line has a gap there. */
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
}

/** The starts of every interval of a window, oldest first. */
export function intervalStarts(stats: Pick<StatsDto, 'from' | 'to' | 'intervalSeconds'>): number[] {
  const from = Date.parse(stats.from);
  const to = Date.parse(stats.to);
  const step = stats.intervalSeconds * 1000;
  if (!(step > 0) || !(to > from)) return [];
  const starts: number[] = [];
  for (let at = from; at < to; at += step) starts.push(at);
  return starts;
}

/** The API's series (intervals with traffic only) spread over every interval of the window. */
export function chartSeries(
  stats: Pick<StatsDto, 'from' | 'to' | 'intervalSeconds' | 'series'>,
): ChartPoint[] {
  const byStart = new Map(stats.series.map((point) => [Date.parse(point.at), point]));
  return intervalStarts(stats).map((at) => {
    const point = byStart.get(at);
    return {
      at,
      eventsReceived: point?.eventsReceived ?? 0,
      delivered: point?.delivered ?? 0,
      failed: point?.failed ?? 0,
      latencyP50Ms: point?.latencyP50Ms ?? null,
      latencyP95Ms: point?.latencyP95Ms ?? null,
    };
  });
}

/** A target's deliveries (delivered + failed) per interval of the window, empty intervals as 0. */
export function targetActivity(
  stats: Pick<StatsDto, 'from' | 'to' | 'intervalSeconds'>,
  series: TargetPointDto[],
): { delivered: number; failed: number }[] {
  const byStart = new Map(series.map((point) => [Date.parse(point.at), point]));
  return intervalStarts(stats).map((at) => ({
    delivered: byStart.get(at)?.delivered ?? 0,
    failed: byStart.get(at)?.failed ?? 0,
  }));
}

/** A success rate (0–1) as "100%", "99.5%", "92%" (one decimal below 100, none when whole); "–" without one. */
export function formatPercent(rate: number | null | undefined): string {
  if (rate === null || rate === undefined || !Number.isFinite(rate)) return '–';
  const percent = Math.floor(rate * 1000 + 1e-9) / 10;
  return `${Number.isInteger(percent) ? percent.toFixed(0) : percent.toFixed(1)}%`;
}

/** 0.4 ms, 12 ms, 1.2 s: the latency axis and tiles; "–" without attempts. */
export function formatLatency(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '–';
  if (ms === 0) return '0 ms';
  if (ms < 1) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

const TIME = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const DAY_TIME = new Intl.DateTimeFormat(undefined, { weekday: 'short', hour: '2-digit' });

/** The x-axis label of an interval start: the time of day, with the weekday over 7 days. */
export function formatTick(at: number, window: StatsWindow): string {
  return window === '7d' ? DAY_TIME.format(at) : TIME.format(at);
}

export type { StatsWindow };

export const STATS_WINDOWS: readonly StatsWindow[] = ['1h', '24h', '7d'];

export const WINDOW_LABELS: Record<StatsWindow, string> = {
  '1h': 'last hour',
  '24h': 'last 24 hours',
  '7d': 'last 7 days',
};

/**
 * An SVG path through `values` scaled into width × height (`max`, by default the largest value,
 * touches the top, zero the bottom); empty for no values.
 */
export function sparklinePath(
  values: number[],
  width: number,
  height: number,
  max = Math.max(...values, 1),
): string {
  if (values.length === 0) return '';
  const step = values.length === 1 ? 0 : width / (values.length - 1);
  return values
    .map((value, index) => {
      const x = Math.round(index * step * 10) / 10;
      const y = Math.round((height - (Math.min(Math.max(value, 0), max) / max) * height) * 10) / 10;
      return `${index === 0 ? 'M' : 'L'}${x} ${y}`;
    })
    .join(' ');
}
