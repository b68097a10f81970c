import { ConcurrencyLimiter, KeyedConcurrencyLimiter, LimiterFullError } from './concurrency-limiter';

/** A task that runs until the test finishes it. */
function gatedTask() {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  return { finish, task: () => done };
}

describe('ConcurrencyLimiter', () => {
  it('runs at most `concurrency` tasks, queues `queueSize` more and refuses the rest at once', async () => {
    const limiter = new ConcurrencyLimiter(2, 1);
    let running = 0;
    let peak = 0;
    const tasks = Array.from({ length: 3 }, gatedTask);
    const started: number[] = [];
    const runs = tasks.map((gated, index) =>
      limiter.run(async () => {
        started.push(index);
        peak = Math.max(peak, ++running);
        await gated.task();
        running--;
      }),
    );
    await expect(limiter.run(async () => 'refused')).rejects.toBeInstanceOf(LimiterFullError);
    await Promise.resolve();
    expect(started).toEqual([0, 1]);

    tasks[0]!.finish();
    await runs[0];
    await new Promise(setImmediate);
    expect(started).toEqual([0, 1, 2]);
    tasks[1]!.finish();
    tasks[2]!.finish();
    await Promise.all(runs);
    expect(peak).toBe(2);
    await expect(limiter.run(async () => 'free again')).resolves.toBe('free again');
  });

  it('frees the slot of a task that fails', async () => {
    const limiter = new ConcurrencyLimiter(1, 0);
    await expect(limiter.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(limiter.run(async () => 'ok')).resolves.toBe('ok');
  });
});

describe('KeyedConcurrencyLimiter', () => {
  it('bounds each key on its own, and gives a key its slots back once its tasks end', async () => {
    const limiter = new KeyedConcurrencyLimiter(1, 0);
    const gated = gatedTask();
    const held = limiter.run('a', gated.task);
    await expect(limiter.run('a', async () => 'refused')).rejects.toBeInstanceOf(LimiterFullError);
    await expect(limiter.run('b', async () => 'other key')).resolves.toBe('other key');
    gated.finish();
    await held;
    await expect(limiter.run('a', async () => 'free again')).resolves.toBe('free again');
  });
});
