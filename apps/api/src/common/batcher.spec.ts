import { Batcher } from './batcher';

describe('Batcher', () => {
  it('writes items submitted together in one batch, and resolves each after its write', async () => {
    const writes: number[][] = [];
    const batcher = new Batcher<number>(async (items) => void writes.push(items), 100, 1);
    await Promise.all([1, 2, 3].map((n) => batcher.submit(n)));
    expect(writes).toEqual([[1, 2, 3]]);
  });

  it('splits at maxBatch and never runs more than maxInFlight writes at once', async () => {
    let running = 0;
    let peak = 0;
    const sizes: number[] = [];
    const batcher = new Batcher<number>(
      async (items) => {
        running++;
        peak = Math.max(peak, running);
        sizes.push(items.length);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running--;
      },
      10,
      2,
    );
    await Promise.all(Array.from({ length: 45 }, (_, n) => batcher.submit(n)));
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(45);
    expect(Math.max(...sizes)).toBe(10);
    expect(peak).toBe(2);
  });

  it('rejects every item of a failed write, and keeps working', async () => {
    let fail = true;
    const batcher = new Batcher<number>(
      async () => {
        if (fail) throw new Error('disk full');
      },
      100,
      1,
    );
    const results = await Promise.allSettled([batcher.submit(1), batcher.submit(2)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    await expect(batcher.submit(3)).resolves.toBeUndefined();
  });

  it('writes a batch with a bad row again in halves, rejecting only the bad item', async () => {
    const writes: number[][] = [];
    const batcher = new Batcher<number>(
      async (items) => {
        writes.push(items);
        if (items.includes(13)) throw Object.assign(new Error('invalid byte sequence'), { code: '22021' });
      },
      100,
      1,
    );
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, n) => batcher.submit(n)));
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1);
    expect(results[13]).toMatchObject({ status: 'rejected', reason: { code: '22021' } });
    const written = writes.filter((items) => !items.includes(13)).flat();
    expect(written.sort((a, b) => a - b)).toEqual(
      Array.from({ length: 20 }, (_, n) => n).filter((n) => n !== 13),
    );
    expect(writes.length).toBeLessThanOrEqual(1 + 2 * Math.ceil(Math.log2(20)));
  });

  it('does not split a batch that failed for another reason (the database is down)', async () => {
    let calls = 0;
    const batcher = new Batcher<number>(
      async () => {
        calls++;
        throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      },
      100,
      1,
    );
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, n) => batcher.submit(n)));
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    expect(calls).toBe(1);
  });

  it('drains: resolves once everything submitted is written', async () => {
    const written: number[] = [];
    const batcher = new Batcher<number>(
      async (items) => {
        await new Promise((resolve) => setTimeout(resolve, 10));
        written.push(...items);
      },
      2,
      1,
    );
    for (let n = 0; n < 5; n++) void batcher.submit(n);
    await batcher.drain();
    expect(written).toEqual([0, 1, 2, 3, 4]);
    expect(batcher.size).toBe(0);
  });

  it('with a window, writes the items of that window together, and drain does not wait for it', async () => {
    jest.useFakeTimers();
    try {
      const writes: number[][] = [];
      const batcher = new Batcher<number>(async (items) => void writes.push(items), 100, 1, 20);
      const first = batcher.submit(1);
      await jest.advanceTimersByTimeAsync(10);
      const second = batcher.submit(2);
      expect(writes).toEqual([]);
      await jest.advanceTimersByTimeAsync(10);
      await Promise.all([first, second]);
      expect(writes).toEqual([[1, 2]]);
      const third = batcher.submit(3);
      await batcher.drain();
      await third;
      expect(writes).toEqual([[1, 2], [3]]);
    } finally {
      jest.useRealTimers();
    }
  });
});
