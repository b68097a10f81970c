import { addHistograms, HISTOGRAM_BUCKETS, latencySlot, quantile, slotBounds } from './latency-histogram';

describe('latency histogram', () => {
  it('puts every duration into the slot whose bounds hold it', () => {
    for (const duration of [0, 1, 2, 3, 7, 10, 99, 100, 250, 1000, 15_000, 60_000]) {
      const { low, high } = slotBounds(latencySlot(duration));
      expect(duration).toBeGreaterThanOrEqual(Math.floor(low));
      expect(duration).toBeLessThan(Math.ceil(high));
    }
    expect(latencySlot(-5)).toBe(0);
    expect(latencySlot(10 ** 9)).toBe(HISTOGRAM_BUCKETS - 1);
  });

  it('reads quantiles within a slot of the truth', () => {
    const durations = [...Array.from({ length: 90 }, () => 20), ...Array.from({ length: 10 }, () => 800)];
    const histogram: number[] = [];
    for (const duration of durations)
      histogram[latencySlot(duration)] = (histogram[latencySlot(duration)] ?? 0) + 1;
    const p50 = quantile(histogram, 0.5)!;
    const p95 = quantile(histogram, 0.95)!;
    expect(p50 / 20).toBeGreaterThan(0.8);
    expect(p50 / 20).toBeLessThan(1.25);
    expect(p95 / 800).toBeGreaterThan(0.8);
    expect(p95 / 800).toBeLessThan(1.25);
    expect(quantile([], 0.5)).toBeNull();
  });

  it('adds histograms slot by slot', () => {
    expect(addHistograms([1, 2], ['3', '4', '5'])).toEqual([4, 6, 5]);
  });
});
