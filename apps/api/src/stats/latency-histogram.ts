/**
 * Attempt latencies are counted in a fixed log-scale histogram: slot i holds the durations d (ms)
 * with 2^(i/2) ≤ d + 1 < 2^((i+1)/2), so each slot is about 41 % wider than the one before and a
 * percentile read from it is within ±19 % of the truth (its slot's geometric middle). The last slot
 * takes everything from about 12 minutes up. Histograms of any rows add up slot by slot.
 */
export const HISTOGRAM_BUCKETS = 40;

/** The slot of a duration. */
export function latencySlot(durationMs: number): number {
  return Math.min(HISTOGRAM_BUCKETS - 1, Math.floor(Math.log2(Math.max(durationMs, 0) + 1) * 2));
}

/**
 * SQL: latencySlot of the duration column `durationMs`, as the rollup job counts attempts (the
 * small addition guards the slots' lower bounds, such as 1 ms, against a logarithm rounded down).
 */
export function latencySlotSql(durationMs: string): string {
  return `least(${HISTOGRAM_BUCKETS - 1}, floor(2 * ln(greatest(${durationMs}, 0)::float8 + 1) / ln(2::float8) + 1e-9))::int`;
}

/** The lowest and highest duration (ms) a slot stands for. */
export function slotBounds(slot: number): { low: number; high: number } {
  return { low: 2 ** (slot / 2) - 1, high: 2 ** ((slot + 1) / 2) - 1 };
}

/** Adds histograms slot by slot (missing slots count 0). */
export function addHistograms(into: number[], histogram: readonly (number | string)[]): number[] {
  histogram.forEach((count, slot) => (into[slot] = (into[slot] ?? 0) + Number(count)));
  return into;
}

/**
 * The q-quantile (0 < q ≤ 1) of a histogram, as the geometric middle of the slot that holds it,
 * rounded to 0.1 ms; null when the histogram is empty.
 */
export function quantile(histogram: readonly number[], q: number): number | null {
  const total = histogram.reduce((sum, count) => sum + (count ?? 0), 0);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let slot = 0; slot < histogram.length; slot++) {
    seen += histogram[slot] ?? 0;
    if (seen >= rank) {
      const { low, high } = slotBounds(slot);
      return Math.round((Math.sqrt((low + 1) * (high + 1)) - 1) * 10) / 10;
    }
  }
  return null;
}

const SLOTS = Array.from({ length: HISTOGRAM_BUCKETS }, (_, slot) => slot);

/**
 * SQL: the histograms in the integer array column `column` of the grouped rows, added slot by
 * slot with plain `sum`s (fast native aggregates; rows with shorter or empty arrays add nothing).
 */
export function sumHistogramsSql(column: string): string {
  return `ARRAY[${SLOTS.map((slot) => `coalesce(sum(${column}[${slot + 1}]), 0)`).join(', ')}]::bigint[]`;
}

/** SQL: the histogram of the grouped rows' `slot` column (a latencySlot each). */
export function countSlotsSql(slot: string): string {
  return `ARRAY[${SLOTS.map((n) => `count(*) FILTER (WHERE ${slot} = ${n})`).join(', ')}]::int[]`;
}

/** SQL: two histogram arrays added slot by slot. */
export function addHistogramsSql(a: string, b: string): string {
  return `ARRAY[${SLOTS.map((n) => `coalesce(${a}[${n + 1}], 0) + coalesce(${b}[${n + 1}], 0)`).join(', ')}]::int[]`;
}
