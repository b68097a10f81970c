import { Client as PgClient } from 'pg';
import { ADMIN_PASSWORD, startTestApp, TestApp } from './test-app';
import { asUser, eventually, TestUser, withSql } from './fixtures';

/**
 * Deleting a webhook: its config rows are soft-deleted at once (the API answers 404, the rows stay
 * with deleted_at set), its unfinished deliveries are cancelled in the same transaction, and a
 * background job (every EVENT_PURGE_INTERVAL_MS) hard-deletes its event data in batches of 1000.
 */
describe('webhook deletion and the background purge of its event data (HTTP, real PostgreSQL)', () => {
  let testApp: TestApp;
  let admin: TestUser;

  beforeAll(async () => {
    testApp = await startTestApp({ EVENT_PURGE_INTERVAL_MS: '200' });
    admin = await asUser(testApp, 'admin', ADMIN_PASSWORD);
  });
  afterAll(() => testApp.close());

  interface Seeded {
    webhookId: string;
    entrypointIds: string[];
    targetIds: string[];
  }

  /** A webhook with two entrypoints, a log and a database target. */
  async function createWebhook(name: string): Promise<Seeded> {
    const webhook = await admin.apiKey.post('/api/v1/webhooks', { name }).expect(201);
    const extra = await admin.apiKey.post(`/api/v1/webhooks/${webhook.body.id}/entrypoints`, {}).expect(201);
    const targetIds: string[] = [];
    for (const type of ['log', 'database']) {
      const target = await admin.apiKey
        .post(`/api/v1/webhooks/${webhook.body.id}/targets`, { name: type, type })
        .expect(201);
      targetIds.push(target.body.id);
    }
    return {
      webhookId: webhook.body.id,
      entrypointIds: [webhook.body.entrypoints[0].id, extra.body.id],
      targetIds,
    };
  }

  /**
   * `events` events; one delivery each to the log target, a third each pending, retrying and
   * delivered (unfinished ones leased by another instance for a day, so the delivery engine leaves
   * them alone); one attempt per delivery; `archived` archived copies from the database target.
   */
  async function seedEventData(sql: PgClient, webhook: Seeded, events: number, archived: number) {
    const [logTarget, databaseTarget] = webhook.targetIds;
    await sql.query(
      `INSERT INTO events (id, webhook_id, entrypoint_id, method, path, headers, body, content_type)
       SELECT gen_random_uuid(), $1, $2, 'POST', '/webhook/seeded', '{"content-type":"application/json"}',
              convert_to('{"n":' || n || '}', 'UTF8'), 'application/json'
       FROM generate_series(1, $3) AS n`,
      [webhook.webhookId, webhook.entrypointIds[0], events],
    );
    await sql.query(
      `INSERT INTO deliveries (id, event_id, webhook_id, target_id, status, attempt_count,
                               next_attempt_at, lease_expires_at, leased_by)
       SELECT gen_random_uuid(), e.id, e.webhook_id, $2, s.status, 1,
              CASE WHEN s.status <> 'delivered' THEN now() + interval '1 day' END,
              CASE WHEN s.status <> 'delivered' THEN now() + interval '1 day' END,
              CASE WHEN s.status <> 'delivered' THEN 'another-instance' END
       FROM (SELECT id, webhook_id, row_number() OVER (ORDER BY id) AS rn FROM events WHERE webhook_id = $1) e
       CROSS JOIN LATERAL (SELECT (ARRAY['pending', 'retrying', 'delivered'])[rn % 3 + 1] AS status) s`,
      [webhook.webhookId, logTarget],
    );
    await sql.query(
      `INSERT INTO delivery_attempts (delivery_id, webhook_id, attempt_number, started_at, duration_ms, status_code, error)
       SELECT id, webhook_id, 1, now(), 12, 503, 'HTTP 503' FROM deliveries WHERE webhook_id = $1`,
      [webhook.webhookId],
    );
    await sql.query(
      `INSERT INTO archived_events (event_id, webhook_id, target_id, method, path, headers, body, content_type, received_at)
       SELECT id, webhook_id, $2, method, path, headers, body, content_type, received_at
       FROM events WHERE webhook_id = $1 ORDER BY id LIMIT $3`,
      [webhook.webhookId, databaseTarget, archived],
    );
  }

  async function eventDataCounts(sql: PgClient, webhookId: string) {
    const { rows } = await sql.query(
      `SELECT (SELECT count(*) FROM events WHERE webhook_id = $1)::int AS events,
              (SELECT count(*) FROM deliveries WHERE webhook_id = $1)::int AS deliveries,
              (SELECT count(*) FROM delivery_attempts WHERE webhook_id = $1)::int AS attempts,
              (SELECT count(*) FROM archived_events WHERE webhook_id = $1)::int AS archived`,
      [webhookId],
    );
    return rows[0] as { events: number; deliveries: number; attempts: number; archived: number };
  }

  async function deliveriesByStatus(sql: PgClient, webhookId: string) {
    const { rows } = await sql.query(
      `SELECT status, count(*)::int AS count FROM deliveries WHERE webhook_id = $1 GROUP BY status`,
      [webhookId],
    );
    return Object.fromEntries(rows.map((row: { status: string; count: number }) => [row.status, row.count]));
  }

  it('soft-deletes at once, cancels unfinished deliveries, then purges the event data in batches', async () => {
    const doomed = await createWebhook('doomed');
    const kept = await createWebhook('kept');
    await withSql(testApp, async (sql) => {
      await seedEventData(sql, doomed, 1500, 1100);
      await seedEventData(sql, kept, 30, 30);
    });
    const keptBefore = await withSql(testApp, (sql) => eventDataCounts(sql, kept.webhookId));
    expect(keptBefore).toEqual({ events: 30, deliveries: 30, attempts: 30, archived: 30 });
    const listed = await admin.apiKey.get(`/api/v1/webhooks/${doomed.webhookId}`).expect(200);
    expect(listed.body).toMatchObject({ entrypointCount: 2, targetCount: 2, eventCount: 1500 });

    // Holding a KEY SHARE lock on the webhook row lets the soft delete (a non-key UPDATE) through but
    // makes the purge job (SELECT … FOR UPDATE SKIP LOCKED) pass this webhook by: what the delete
    // itself did can be looked at before the purge starts, however fast the job runs.
    const lock = await withSqlLock(testApp, doomed.webhookId);
    try {
      await admin.session.delete(`/api/v1/webhooks/${doomed.webhookId}`).expect(204);

      // The API forgets the webhook, its entrypoints and targets at once…
      await admin.apiKey.get(`/api/v1/webhooks/${doomed.webhookId}`).expect(404);
      for (const id of doomed.entrypointIds) await admin.apiKey.get(`/api/v1/entrypoints/${id}`).expect(404);
      for (const id of doomed.targetIds) await admin.apiKey.get(`/api/v1/targets/${id}`).expect(404);
      const list = await admin.apiKey.get('/api/v1/webhooks').expect(200);
      expect(list.body.items.map((w: { id: string }) => w.id)).toEqual([kept.webhookId]);

      await withSql(testApp, async (sql) => {
        // …but the rows stay, soft-deleted…
        const { rows: webhookRows } = await sql.query(
          `SELECT deleted_at, event_data_purged_at FROM webhooks WHERE id = $1`,
          [doomed.webhookId],
        );
        expect(webhookRows).toEqual([{ deleted_at: expect.any(Date), event_data_purged_at: null }]);
        for (const table of ['entrypoints', 'targets']) {
          const { rows } = await sql.query(
            `SELECT count(*)::int AS total, count(deleted_at)::int AS deleted FROM ${table} WHERE webhook_id = $1`,
            [doomed.webhookId],
          );
          expect({ table, ...rows[0] }).toEqual({ table, total: 2, deleted: 2 });
        }
        // …its unfinished deliveries are cancelled (and unleased), finished ones untouched…
        expect(await deliveriesByStatus(sql, doomed.webhookId)).toEqual({ cancelled: 1000, delivered: 500 });
        const { rows: leftovers } = await sql.query(
          `SELECT count(*)::int AS count FROM deliveries WHERE webhook_id = $1 AND status = 'cancelled'
             AND (next_attempt_at IS NOT NULL OR lease_expires_at IS NOT NULL OR leased_by IS NOT NULL)`,
          [doomed.webhookId],
        );
        expect(leftovers[0].count).toBe(0);
        // …and nothing is purged yet.
        expect(await eventDataCounts(sql, doomed.webhookId)).toEqual({
          events: 1500,
          deliveries: 1500,
          attempts: 1500,
          archived: 1100,
        });
        // The other webhook's deliveries are not cancelled.
        expect(await deliveriesByStatus(sql, kept.webhookId)).toEqual({
          pending: 10,
          retrying: 10,
          delivered: 10,
        });
      });
    } finally {
      await lock.release();
    }

    // The background job now hard-deletes every row of event data of the deleted webhook.
    await withSql(testApp, async (sql) => {
      await eventually('the event data of the deleted webhook is purged', async () => {
        const counts = await eventDataCounts(sql, doomed.webhookId);
        return counts.events + counts.deliveries + counts.attempts + counts.archived === 0;
      });
      await eventually('the webhook is marked as purged', async () => {
        const { rows } = await sql.query(`SELECT event_data_purged_at FROM webhooks WHERE id = $1`, [
          doomed.webhookId,
        ]);
        return rows[0].event_data_purged_at !== null;
      });
      // The config rows stay soft-deleted; the other webhook's data is untouched.
      const { rows } = await sql.query(
        `SELECT (SELECT count(*) FROM webhooks WHERE id = $1)::int AS webhooks,
                (SELECT count(*) FROM entrypoints WHERE webhook_id = $1)::int AS entrypoints,
                (SELECT count(*) FROM targets WHERE webhook_id = $1)::int AS targets`,
        [doomed.webhookId],
      );
      expect(rows[0]).toEqual({ webhooks: 1, entrypoints: 2, targets: 2 });
      expect(await eventDataCounts(sql, kept.webhookId)).toEqual(keptBefore);
      expect(await deliveriesByStatus(sql, kept.webhookId)).toEqual({
        pending: 10,
        retrying: 10,
        delivered: 10,
      });
    });
    const keptWebhook = await admin.apiKey.get(`/api/v1/webhooks/${kept.webhookId}`).expect(200);
    expect(keptWebhook.body).toMatchObject({ entrypointCount: 2, targetCount: 2, eventCount: 30 });
  });

  it('marks a deleted webhook without event data as purged too', async () => {
    const empty = await createWebhook('empty');
    await admin.session.delete(`/api/v1/webhooks/${empty.webhookId}`).expect(204);
    await withSql(testApp, (sql) =>
      eventually('the empty webhook is marked as purged', async () => {
        const { rows } = await sql.query(`SELECT event_data_purged_at FROM webhooks WHERE id = $1`, [
          empty.webhookId,
        ]);
        return rows[0].event_data_purged_at !== null;
      }),
    );
  });

  it('answers a deleted webhook’s entrypoint with 410 at once', async () => {
    const webhook = await createWebhook('gone');
    const url = `/webhook/${webhook.entrypointIds[0]}`;
    await testApp.request().post(url).send({ before: 'delete' }).expect(200);
    await admin.session.delete(`/api/v1/webhooks/${webhook.webhookId}`).expect(204);
    const gone = await testApp.request().post(url).send({ after: 'delete' }).expect(410);
    expect(gone.headers['content-type']).toContain('application/problem+json');
  });
});

/** Takes a KEY SHARE row lock on the webhook in a transaction of its own, until `release`. */
async function withSqlLock(testApp: TestApp, webhookId: string) {
  const client = new PgClient({ connectionString: testApp.databaseUrl });
  await client.connect();
  await client.query('BEGIN');
  await client.query('SELECT id FROM webhooks WHERE id = $1 FOR KEY SHARE', [webhookId]);
  return {
    release: async () => {
      await client.query('COMMIT');
      await client.end();
    },
  };
}
