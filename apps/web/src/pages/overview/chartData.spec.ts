import { describe, expect, it } from '@jest/globals';
import {
  chartSeries,
  formatLatency,
  formatPercent,
  intervalStarts,
  sparklinePath,
  targetActivity,
} from './chartData';

const HOUR = {
  from: '2026-01-01T10:00:00.000Z',
  to: '2026-01-01T10:05:00.000Z',
  intervalSeconds: 60,
};

describe('chart data', () => {
  it('lists the start of every interval of the window', () => {
    expect(intervalStarts(HOUR).map((at) => new Date(at).toISOString())).toEqual([
      '2026-01-01T10:00:00.000Z',
      '2026-01-01T10:01:00.000Z',
      '2026-01-01T10:02:00.000Z',
      '2026-01-01T10:03:00.000Z',
      '2026-01-01T10:04:00.000Z',
    ]);
    expect(intervalStarts({ ...HOUR, intervalSeconds: 0 })).toEqual([]);
    expect(intervalStarts({ ...HOUR, to: HOUR.from })).toEqual([]);
  });

  it('fills the intervals without traffic with zeros and no latency', () => {
    const points = chartSeries({
      ...HOUR,
      series: [
        {
          at: '2026-01-01T10:01:00.000Z',
          eventsReceived: 4,
          delivered: 3,
          failed: 1,
          skipped: 0,
          latencyP50Ms: 12,
          latencyP95Ms: 80,
        },
        {
          at: '2026-01-01T10:04:00.000Z',
          eventsReceived: 2,
          delivered: 2,
          failed: 0,
          skipped: 0,
          latencyP50Ms: 15,
          latencyP95Ms: 15,
        },
      ],
    });
    expect(points.map((point) => point.eventsReceived)).toEqual([0, 4, 0, 0, 2]);
    expect(points.map((point) => point.failed)).toEqual([0, 1, 0, 0, 0]);
    expect(points.map((point) => point.latencyP95Ms)).toEqual([null, 80, null, null, 15]);
    expect(points[1]!.at).toBe(Date.parse('2026-01-01T10:01:00.000Z'));
  });

  it('ignores points outside the window', () => {
    const points = chartSeries({
      ...HOUR,
      series: [
        {
          at: '2026-01-01T09:59:00.000Z',
          eventsReceived: 9,
          delivered: 9,
          failed: 0,
          skipped: 0,
          latencyP50Ms: 1,
          latencyP95Ms: 1,
        },
      ],
    });
    expect(points.map((point) => point.eventsReceived)).toEqual([0, 0, 0, 0, 0]);
  });

  it('spreads a target’s series over the window', () => {
    expect(
      targetActivity(HOUR, [{ at: '2026-01-01T10:02:00.000Z', delivered: 5, failed: 2 }]).map(
        (point) => point.delivered + point.failed,
      ),
    ).toEqual([0, 0, 7, 0, 0]);
  });

  it('formats success rates without rounding a failure up to 100%', () => {
    expect(formatPercent(1)).toBe('100%');
    expect(formatPercent(0)).toBe('0%');
    expect(formatPercent(0.92)).toBe('92%');
    expect(formatPercent(23 / 25)).toBe('92%');
    expect(formatPercent(0.9995)).toBe('99.9%');
    expect(formatPercent(2 / 3)).toBe('66.6%');
    expect(formatPercent(null)).toBe('–');
    expect(formatPercent(Number.NaN)).toBe('–');
  });

  it('formats latencies', () => {
    expect(formatLatency(0)).toBe('0 ms');
    expect(formatLatency(0.4)).toBe('0.4 ms');
    expect(formatLatency(12.3)).toBe('12 ms');
    expect(formatLatency(1234)).toBe('1.2 s');
    expect(formatLatency(15_000)).toBe('15 s');
    expect(formatLatency(null)).toBe('–');
  });

  it('draws a sparkline from the bottom (zero) to the top (the largest value)', () => {
    expect(sparklinePath([0, 5, 10], 100, 20)).toBe('M0 20 L50 10 L100 0');
    expect(sparklinePath([0, 0], 100, 20)).toBe('M0 20 L100 20');
    expect(sparklinePath([3], 100, 20)).toBe('M0 0');
    expect(sparklinePath([], 100, 20)).toBe('');
    // On another line's scale: half of a maximum of 10.
    expect(sparklinePath([5, 0], 100, 20, 10)).toBe('M0 10 L100 20');
  });
});
