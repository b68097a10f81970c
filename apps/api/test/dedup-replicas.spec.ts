import { Client } from 'pg';
import { adminApiKey, ApiProcess, call, webhookWithHttpTarget } from './api-process';
import { Sink, waitFor } from './sink';
import { createTestDatabase } from './test-database';

// Two replicas on one database receive the same deliveries at the same moment: the key's unique
// row in PostgreSQL decides, so each key becomes exactly one event and one delivery.
describe('deduplication across two replicas on one database', () => {
  it('stores and delivers each key once when both replicas receive it at once', async () => {
    const database = await createTestDatabase();
    const sink = await Sink.start();
    const replicas = await Promise.all([
      ApiProcess.start(database.url, { INSTANCE_ID: 'dedup-a' }),
      ApiProcess.start(database.url, { INSTANCE_ID: 'dedup-b' }),
    ]);
    const db = new Client({ connectionString: database.url });
    await db.connect();
    try {
      const [a, b] = replicas as [ApiProcess, ApiProcess];
      const key = await adminApiKey(a.url);
      const webhook = await webhookWithHttpTarget(a.url, key, 'dedup replicas', {
        name: 'sink',
        http: { url: sink.url },
      });
      const entrypoint = webhook.entrypoints[0]!;
      await call(a.url, key, 'PATCH', `/api/v1/entrypoints/${entrypoint.id}`, {
        dedup: { header: 'webhook-id' },
      });
      const path = new URL(entrypoint.url).pathname;
      const post = async (url: string, body: string, headers: Record<string, string> = {}) => {
        const response = await fetch(`${url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body,
        });
        expect(response.status).toBe(200);
        const { eventId } = (await response.json()) as { eventId: string };
        return { eventId, duplicate: response.headers.get('webhooker-duplicate') === 'true' };
      };
      // Both replicas know the entrypoint and its setting before the race.
      await Promise.all([post(a.url, '{}'), post(b.url, '{}')]);
      const keys = Array.from({ length: 20 }, (_, n) => `msg_${n}`);
      const answers = await Promise.all(
        keys.flatMap((messageId) =>
          [a, b, a, b].map(async (replica) => ({
            messageId,
            ...(await post(replica.url, JSON.stringify({ messageId }), { 'webhook-id': messageId })),
          })),
        ),
      );
      for (const messageId of keys) {
        const ofKey = answers.filter((answer) => answer.messageId === messageId);
        expect(new Set(ofKey.map((answer) => answer.eventId)).size).toBe(1);
        expect(ofKey.filter((answer) => !answer.duplicate)).toHaveLength(1);
      }
      const eventIds = new Set(answers.map((answer) => answer.eventId));
      expect(eventIds.size).toBe(keys.length);

      // 20 keys and the 2 warm-up events
      await waitFor(
        async () => {
          const { rows } = await db.query(
            `SELECT count(*)::int AS n FROM deliveries WHERE status = 'delivered'`,
          );
          return rows[0].n >= 22;
        },
        30_000,
        'every delivery',
      );
      const { rows } = await db.query(
        `SELECT (SELECT count(*) FROM events WHERE id = ANY($1::uuid[]))::int AS events,
                (SELECT count(*) FROM events)::int AS all_events,
                (SELECT count(*) FROM deliveries WHERE status = 'delivered')::int AS delivered,
                (SELECT duplicate_count FROM entrypoints WHERE id = $2)::int AS duplicates`,
        [[...eventIds], entrypoint.id],
      );
      expect(rows[0]).toEqual({ events: 20, all_events: 22, delivered: 22, duplicates: 60 });
      const received = sink.requests
        .map((r) => r.headers['webhook-id'] as string)
        .filter((id) => eventIds.has(id));
      expect(received.sort()).toEqual([...eventIds].sort());
      const metrics = await Promise.all(
        replicas.map((replica) => replica.metric('webhooker_duplicates_received_total')),
      );
      expect(metrics[0]! + metrics[1]!).toBe(60);
    } finally {
      await db.end();
      await Promise.all(replicas.map((replica) => replica.stop()));
      await sink.stop();
      await database.drop();
    }
  }, 120_000);
});
