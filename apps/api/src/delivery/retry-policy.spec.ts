import { applyRetryAfter, backoffDelay } from './retry-policy';

describe('retry policy', () => {
  it('doubles from 1 s and caps at maxBackoffMs', () => {
    const noJitter = () => 0.5;
    expect([1, 2, 3, 4, 5].map((retry) => backoffDelay(retry, 3_600_000, noJitter))).toEqual([
      1000, 2000, 4000, 8000, 16000,
    ]);
    expect(backoffDelay(20, 3_600_000, noJitter)).toBe(3_600_000);
    expect(backoffDelay(5, 5_000, noJitter)).toBe(5_000);
  });

  it('spreads each delay by ±20 %', () => {
    expect(backoffDelay(3, 3_600_000, () => 0)).toBe(3200);
    expect(backoffDelay(3, 3_600_000, () => 1)).toBe(4800);
  });

  it('covers about 13 hours with the defaults (24 retries, 1 h cap)', () => {
    const total = Array.from({ length: 24 }, (_, i) => backoffDelay(i + 1, 3_600_000, () => 0.5)).reduce(
      (a, b) => a + b,
    );
    expect(total / 3_600_000).toBeCloseTo(13.14, 2);
  });

  it('honours Retry-After within [delay, 2 × delay]', () => {
    expect(applyRetryAfter(4000, '6')).toBe(6000);
    expect(applyRetryAfter(4000, '1')).toBe(4000);
    expect(applyRetryAfter(4000, '3600')).toBe(8000);
    const now = Date.parse('2026-11-23T12:00:00Z');
    expect(applyRetryAfter(4000, 'Mon, 23 Nov 2026 12:00:05 GMT', now)).toBe(5000);
    expect(applyRetryAfter(4000, 'soon')).toBe(4000);
    expect(applyRetryAfter(4000, undefined)).toBe(4000);
  });
});
