import { RateLimiter, TakeTokens } from './rate-limiter';

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('RateLimiter', () => {
  it('lets everything through for a target without a limit', () => {
    const take = jest.fn<ReturnType<TakeTokens>, Parameters<TakeTokens>>();
    const limiter = new RateLimiter(
      take,
      () => undefined,
      () => undefined,
    );
    for (let n = 0; n < 100; n++) expect(limiter.admit('t', null)).toBe(true);
    expect(take).not.toHaveBeenCalled();
  });

  it('starts an attempt only with a token, taking a fifth of a second of the rate at once, and wakes the lane when they come', async () => {
    const take = jest.fn<ReturnType<TakeTokens>, Parameters<TakeTokens>>(async () => ({
      granted: 4,
      left: 0,
    }));
    const woken: string[] = [];
    const limiter = new RateLimiter(
      take,
      (id) => woken.push(id),
      () => undefined,
    );
    const limit = { perSecond: 20, burst: 10 };
    expect(limiter.admit('t', limit)).toBe(false);
    expect(limiter.admit('t', limit)).toBe(false);
    expect(take).toHaveBeenCalledTimes(1);
    expect(take).toHaveBeenCalledWith('t', 4, limit);
    await flush();
    expect(woken).toEqual(['t']);
    expect([1, 2, 3, 4, 5].map(() => limiter.admit('t', limit))).toEqual([true, true, true, true, false]);
  });

  it('asks an empty bucket again only when the next token is due', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate'] });
    try {
      const take = jest.fn<ReturnType<TakeTokens>, Parameters<TakeTokens>>(async () => ({
        granted: 0,
        left: 0.5,
      }));
      const woken: string[] = [];
      const limiter = new RateLimiter(
        take,
        (id) => woken.push(id),
        () => undefined,
      );
      const limit = { perSecond: 10, burst: 1 };
      expect(limiter.admit('t', limit)).toBe(false);
      await flush();
      expect(limiter.admit('t', limit)).toBe(false);
      expect(take).toHaveBeenCalledTimes(1);
      jest.advanceTimersByTime(49);
      expect(woken).toEqual([]);
      jest.advanceTimersByTime(1);
      expect(woken).toEqual(['t']);
      expect(limiter.admit('t', limit)).toBe(false);
      expect(take).toHaveBeenCalledTimes(2);
    } finally {
      jest.useRealTimers();
    }
  });

  it('wakes a lane again when a grant still leaves it short of a token, instead of leaving it waiting for nothing', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate'] });
    try {
      // A grant below zero (a bucket that had refilled from an older clock) leaves the target owing a
      // token, so the next grant of one is not enough to start.
      const answers = [
        { granted: -1, left: 0.5 },
        { granted: 1, left: 0 },
      ];
      const take = jest.fn<ReturnType<TakeTokens>, Parameters<TakeTokens>>(
        async () => answers.shift() ?? { granted: 1, left: 0 },
      );
      const limit = { perSecond: 20, burst: 5 };
      let started = 0;
      // Woken, the lane asks at once whether an attempt may start, as LaneDispatcher does.
      const limiter: RateLimiter = new RateLimiter(
        take,
        () => {
          if (limiter.admit('t', limit)) started++;
        },
        () => undefined,
      );
      expect(limiter.admit('t', limit)).toBe(false);
      for (let step = 0; step < 10 && started === 0; step++) {
        await flush();
        jest.advanceTimersByTime(100);
      }
      expect(started).toBe(1);
      expect(take).toHaveBeenCalledTimes(3);
    } finally {
      jest.useRealTimers();
    }
  });

  it('after a 429, spaces attempts of a target without a limit one second apart until the window ends', () => {
    const limiter = new RateLimiter(
      jest.fn(),
      () => undefined,
      () => undefined,
    );
    const now = 1_000_000;
    limiter.throttle('t', now + 5_000);
    expect(limiter.admit('t', null, now)).toBe(true);
    expect(limiter.admit('t', null, now + 500)).toBe(false);
    expect(limiter.admit('t', null, now + 1_000)).toBe(true);
    expect(limiter.admit('t', null, now + 5_000)).toBe(true);
    expect(limiter.admit('t', null, now + 5_001)).toBe(true);
    limiter.forget('t');
  });
});
