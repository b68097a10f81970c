import { TransformPool } from './transform-pool';
import type { TransformInput } from './transform-sandbox';

const input: TransformInput = {
  method: 'POST',
  path: '/webhook/3b7c',
  query: {},
  headers: { 'content-type': 'application/json' },
  bodyText: '{"n":1}',
  bodyIsJson: true,
};

describe('TransformPool', () => {
  const pool = new TransformPool({ timeoutMs: 200, memoryBytes: 16 * 1_048_576, maxBodyBytes: 1_048_576 }, 2);

  afterAll(() => pool.close());

  it('runs transforms in worker threads, compiled once per key', async () => {
    const source = 'let runs = 0; function handler(r) { r.headers.runs = String(++runs); return r; }';
    expect(await pool.run('a:1', source, input)).toMatchObject({
      kind: 'request',
      request: { headers: { runs: '1' } },
    });
    // The same key may land on either worker; each keeps its compiled copy.
    const again = await pool.run('a:1', source, input);
    expect(again.kind).toBe('request');
    expect(await pool.run('fresh', source, input, { fresh: true })).toMatchObject({
      request: { headers: { runs: '1' } },
    });
  });

  it('checks a source without running it', async () => {
    expect(await pool.check('function handler(r) { return r; }')).toBeNull();
    expect(await pool.check('function handler(r) {')).toMatch(/^SyntaxError: .* \(line 1\)$/);
  });

  it('stops a worker stuck in an uninterruptible operation, without blocking the event loop, and carries on', async () => {
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 1);
    const result = await pool.run(
      'bomb:1',
      'function handler(r) { const a = []; for (;;) a.push("x".repeat(1 << 22) + a.length); }',
      input,
    );
    clearInterval(ticker);
    expect(result.kind).toBe('error');
    expect(['interrupted after 200 ms', 'out of memory (limit 16 MiB)']).toContain(
      (result as { error: string }).error,
    );
    expect(ticks).toBeGreaterThan(0);
    expect(await pool.run('ok:1', 'function handler(r) { return null; }', input)).toMatchObject({
      kind: 'skip',
    });
  });

  it('leaves a worker to deliveries while trials (checks, previews) wait for one another', async () => {
    await pool.start();
    const order: string[] = [];
    const trials = [1, 2].map((n) =>
      pool.check('for (;;) {}').then((error) => order.push(`trial ${n}: ${error}`)),
    );
    const delivery = pool
      .run('d:1', 'function handler(r) { return r; }', input)
      .then((result) => order.push(`delivery: ${result.kind}`));
    await Promise.all([...trials, delivery]);
    expect(order).toEqual([
      'delivery: request',
      'trial 1: interrupted after 200 ms',
      'trial 2: interrupted after 200 ms',
    ]);
  });

  it('answers every job when more are sent than there are workers', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        pool.run(`t:${i % 3}`, `function handler(r) { r.headers.i = "${i % 3}"; return r; }`, input),
      ),
    );
    expect(
      results.map((r) => (r as unknown as { request: { headers: { i: string } } }).request.headers.i),
    ).toEqual(Array.from({ length: 20 }, (_, i) => String(i % 3)));
  });

  it("lets the owners of the targets take turns, so one user's slow transforms do not keep another's waiting", async () => {
    const single = new TransformPool(
      { timeoutMs: 500, memoryBytes: 16 * 1_048_576, maxBodyBytes: 1_048_576 },
      1,
    );
    try {
      const order: string[] = [];
      const slow = Array.from({ length: 4 }, (_, n) =>
        single
          .run('slow:1', 'function handler(r) { for (;;) {} }', input, { owner: 'noisy' })
          .then((result) => order.push(`noisy ${n}: ${result.kind}`)),
      );
      const quiet = single
        .run('quiet:1', 'function handler(r) { return r; }', input, { owner: 'quiet' })
        .then((result) => order.push(`quiet: ${result.kind}`));
      await Promise.all([...slow, quiet]);
      expect(order).toEqual([
        'noisy 0: error',
        'quiet: request',
        'noisy 1: error',
        'noisy 2: error',
        'noisy 3: error',
      ]);
    } finally {
      await single.close();
    }
  });
});
