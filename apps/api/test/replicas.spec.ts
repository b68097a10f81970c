import { Client } from 'pg';
import { adminApiKey, ApiProcess, call, ingest } from './api-process';
import { Sink, waitFor } from './sink';
import { createTestDatabase } from './test-database';

interface Webhook {
  id: string;
  entrypoints: { url: string }[];
}

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
      const webhook = await call<Webhook>(a.url, key, 'POST', '/api/v1/webhooks', { name: 'replicas' });
      await call(a.url, key, 'POST', `/api/v1/webhooks/${webhook.id}/targets`, {
        name: 'sink',
        type: 'http',
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
});
