import { createServer, Server } from 'node:http';
import { Client } from 'pg';
import { adminApiKey, ApiProcess, ingest, webhookWithHttpTarget } from './api-process';
import { Sink, waitFor } from './sink';
import { createTestDatabase } from './test-database';

// Two replicas on one database. Each keeps only 20 tasks in memory, so most deliveries overflow to
// the table and both replicas' sweeps compete for them (FOR UPDATE SKIP LOCKED + leases).
describe('two replicas on one database', () => {
  it('delivers each of 2 000 events exactly once', async () => {
    const database = await createTestDatabase();
    const sink = await Sink.start();
    const env = { SWEEP_INTERVAL_MS: '100', MAX_QUEUED_TASKS: '20' };
    const replicas = await Promise.all([
      ApiProcess.start(database.url, { ...env, INSTANCE_ID: 'replica-a' }),
      ApiProcess.start(database.url, { ...env, INSTANCE_ID: 'replica-b' }),
    ]);
    const db = new Client({ connectionString: database.url });
    await db.connect();
    try {
      const [a, b] = replicas as [ApiProcess, ApiProcess];
      const key = await adminApiKey(a.url);
      const webhook = await webhookWithHttpTarget(a.url, key, 'replicas', {
        name: 'sink',
        http: { url: sink.url },
      });
      const path = new URL(webhook.entrypoints[0]!.url).pathname;
      const accepted = (
        await Promise.all([ingest(`${a.url}${path}`, 1000), ingest(`${b.url}${path}`, 1000)])
      ).flat();
      expect(new Set(accepted).size).toBe(2000);

      await waitFor(
        async () => {
          const { rows } = await db.query(
            `SELECT count(*)::int AS n FROM deliveries WHERE status = 'delivered'`,
          );
          return rows[0].n === 2000;
        },
        60_000,
        '2 000 deliveries',
      );
      const receivedIds = sink.requests.map((r) => r.headers['webhook-id'] as string);
      expect(receivedIds).toHaveLength(2000);
      expect(new Set(receivedIds)).toEqual(new Set(accepted));
      const { rows: attempts } = await db.query(
        `SELECT count(*)::int AS n, count(DISTINCT delivery_id)::int AS deliveries FROM delivery_attempts`,
      );
      expect(attempts[0]).toEqual({ n: 2000, deliveries: 2000 });
      const [deliveredByA, deliveredByB] = await Promise.all(
        replicas.map((replica) => replica.metric('webhooker_delivery_attempts_total')),
      );
      process.stdout.write(`replicas: replica-a made ${deliveredByA} attempts, replica-b ${deliveredByB}\n`);
      expect(deliveredByA! + deliveredByB!).toBe(2000);
      expect(deliveredByA).toBeGreaterThan(0);
      expect(deliveredByB).toBeGreaterThan(0);
    } finally {
      await db.end();
      await Promise.all(replicas.map((replica) => replica.stop()));
      await sink.stop();
      await database.drop();
    }
  }, 120_000);

  // A rolling restart: replica A is stopped (SIGTERM) while its attempts to a slow receiver are in
  // flight. The receiver counts, per webhook-id, requests open at the same time: A must interrupt
  // (and record) its attempts before handing their leases back, or B would send them meanwhile.
  it('never sends one delivery from two replicas at once when one is stopped with attempts in flight', async () => {
    const database = await createTestDatabase();
    const open = new Map<string, number>();
    const received = new Set<string>();
    let concurrentDuplicates = 0;
    const receiver: Server = createServer((request, response) => {
      const id = request.headers['webhook-id'] as string;
      received.add(id);
      open.set(id, (open.get(id) ?? 0) + 1);
      if (open.get(id)! > 1) concurrentDuplicates++;
      response.on('close', () => open.set(id, open.get(id)! - 1));
      request.resume();
      setTimeout(() => response.end('ok'), 1500);
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}`;
    const env = { SWEEP_INTERVAL_MS: '100', SHUTDOWN_GRACE_MS: '200' };
    const a = await ApiProcess.start(database.url, { ...env, INSTANCE_ID: 'rolling-a' });
    const b = await ApiProcess.start(database.url, { ...env, INSTANCE_ID: 'rolling-b' });
    const db = new Client({ connectionString: database.url });
    await db.connect();
    try {
      const key = await adminApiKey(a.url);
      const webhook = await webhookWithHttpTarget(a.url, key, 'rolling', {
        name: 'slow',
        http: { url: receiverUrl, concurrency: 8, timeoutMs: 10_000 },
      });
      const path = new URL(webhook.entrypoints[0]!.url).pathname;
      const accepted = await ingest(`${a.url}${path}`, 40);
      await waitFor(() => open.size >= 8, 10_000, 'attempts in flight at replica A');
      expect(await a.stop()).toBe(0);
      await waitFor(
        async () => {
          const { rows } = await db.query(
            `SELECT count(*)::int AS n FROM deliveries WHERE status = 'delivered'`,
          );
          return rows[0].n === accepted.length;
        },
        60_000,
        'every delivery',
      );
      const { rows: interrupted } = await db.query(
        `SELECT count(*)::int AS n FROM delivery_attempts WHERE error LIKE 'interrupted%'`,
      );
      process.stdout.write(
        `rolling restart: ${accepted.length} delivered, ${interrupted[0].n} attempts interrupted at A's shutdown, ${concurrentDuplicates} sent twice at once\n`,
      );
      expect(interrupted[0].n).toBeGreaterThan(0);
      expect(concurrentDuplicates).toBe(0);
      expect(received).toEqual(new Set(accepted));
    } finally {
      await db.end();
      await Promise.all([a.stop(), b.stop()]);
      receiver.closeAllConnections();
      await new Promise((resolve) => receiver.close(resolve));
      await database.drop();
    }
  }, 120_000);

  // The circuit breaker is shared: both replicas count their failures on the target row, and after
  // each cooldown exactly one of them claims the probe. Two independent breakers would each probe
  // once per cooldown, so some probes would come less than half a cooldown apart.
  it('opens one circuit for both replicas and lets one probe through per cooldown, cluster-wide', async () => {
    const cooldownMs = 1500;
    const database = await createTestDatabase();
    const sink = await Sink.start();
    sink.reply = () => ({ status: 500 });
    const env = { SWEEP_INTERVAL_MS: '100', CIRCUIT_COOLDOWN_MS: String(cooldownMs) };
    const replicas = await Promise.all([
      ApiProcess.start(database.url, { ...env, INSTANCE_ID: 'breaker-a' }),
      ApiProcess.start(database.url, { ...env, INSTANCE_ID: 'breaker-b' }),
    ]);
    try {
      const [a, b] = replicas as [ApiProcess, ApiProcess];
      const key = await adminApiKey(a.url);
      const webhook = await webhookWithHttpTarget(a.url, key, 'breaker', {
        name: 'failing',
        http: { url: sink.url, concurrency: 1, maxRetries: 50, maxBackoffMs: 1000 },
      });
      const path = new URL(webhook.entrypoints[0]!.url).pathname;
      await Promise.all([ingest(`${a.url}${path}`, 10), ingest(`${b.url}${path}`, 10)]);
      await new Promise((resolve) => setTimeout(resolve, 6 * cooldownMs));
      const times = sink.requests.map((r) => r.receivedAt);
      const gaps = times.slice(1).map((t, i) => t - times[i]!);
      const opened = gaps.findIndex((gap) => gap >= cooldownMs * 0.7);
      const probeGaps = gaps.slice(opened);
      process.stdout.write(
        `shared breaker: ${opened + 1} attempts before the circuit opened, then probes ${probeGaps.join(', ')} ms apart\n`,
      );
      expect(opened).toBeGreaterThanOrEqual(4);
      expect(probeGaps.length).toBeGreaterThanOrEqual(3);
      expect(Math.min(...probeGaps)).toBeGreaterThanOrEqual(cooldownMs * 0.7);
    } finally {
      await Promise.all(replicas.map((replica) => replica.stop()));
      await sink.stop();
      await database.drop();
    }
  }, 120_000);

  // A rate limit is shared: both replicas take their tokens from the target's bucket in
  // PostgreSQL, so together they send at the limit, not at twice the limit.
  it('keeps two replicas together within 10 % of a target rate limit', async () => {
    const perSecond = 20;
    const database = await createTestDatabase();
    const sink = await Sink.start();
    const env = { SWEEP_INTERVAL_MS: '100' };
    const replicas = await Promise.all([
      ApiProcess.start(database.url, { ...env, INSTANCE_ID: 'rate-a' }),
      ApiProcess.start(database.url, { ...env, INSTANCE_ID: 'rate-b' }),
    ]);
    try {
      const [a, b] = replicas as [ApiProcess, ApiProcess];
      const key = await adminApiKey(a.url);
      const webhook = await webhookWithHttpTarget(a.url, key, 'rate', {
        name: 'limited',
        http: { url: sink.url, rateLimit: { perSecond, burst: 5 } },
      });
      const path = new URL(webhook.entrypoints[0]!.url).pathname;
      const accepted = (
        await Promise.all([ingest(`${a.url}${path}`, 100), ingest(`${b.url}${path}`, 100)])
      ).flat();
      await waitFor(() => sink.requests.length === accepted.length, 30_000, 'every delivery');
      const [byA, byB] = await Promise.all(
        replicas.map((replica) => replica.metric('webhooker_delivery_attempts_total')),
      );
      const times = sink.requests.map((r) => r.receivedAt).sort((x, y) => x - y);
      // While ingest still trickles in, tokens pile up (the bucket's burst, and what each replica
      // took but had no work for) and go out together once work arrives. The last half of the
      // run is past that: every delivery is waiting, so it shows the steady rate.
      const steady = times.slice(times.length / 2);
      const rate = ((steady.length - 1) * 1000) / (steady[steady.length - 1]! - steady[0]!);
      process.stdout.write(
        `rate limit: ${perSecond}/s configured, ${rate.toFixed(1)}/s measured across two replicas (a sent ${byA}, b ${byB})\n`,
      );
      expect(byA).toBeGreaterThan(0);
      expect(byB).toBeGreaterThan(0);
      expect(rate).toBeGreaterThan(perSecond * 0.9);
      expect(rate).toBeLessThan(perSecond * 1.1);
      expect(new Set(sink.requests.map((r) => r.headers['webhook-id']))).toEqual(new Set(accepted));
    } finally {
      await Promise.all(replicas.map((replica) => replica.stop()));
      await sink.stop();
      await database.drop();
    }
  }, 120_000);
});
