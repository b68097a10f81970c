import { RetentionJob, RETENTION_BATCH_SIZE } from '../src/retention/retention.job';
import { asUser, seedDelivery, seedEvent, withSql } from './fixtures';
import { ADMIN_PASSWORD, startTestApp, TestApp } from './test-app';

describe('retention (real PostgreSQL)', () => {
  let testApp: TestApp;

  beforeAll(async () => (testApp = await startTestApp()));
  afterAll(() => testApp.close());

  it("deletes events older than the webhook's retentionDays with their deliveries and attempts, in batches (paused ones too)", async () => {
    const admin = await asUser(testApp, 'admin', ADMIN_PASSWORD);
    const short = (
      await admin.apiKey.post('/api/v1/webhooks', { name: 'short', retentionDays: 7 }).expect(201)
    ).body;
    const long = (
      await admin.apiKey.post('/api/v1/webhooks', { name: 'long', retentionDays: 30 }).expect(201)
    ).body;
    const target = (
      await admin.apiKey
        .post(`/api/v1/webhooks/${short.id}/targets`, { name: 'log', type: 'log' })
        .expect(201)
    ).body;

    const expired = RETENTION_BATCH_SIZE + 5;
    const ids = await withSql(testApp, async (sql) => {
      const seed = async (
        webhook: { id: string; entrypoints: { id: string }[] },
        ageDays: number,
        status: string,
      ) => {
        const eventId = await seedEvent(sql, webhook.id, webhook.entrypoints[0]!.id);
        await sql.query(`UPDATE events SET received_at = now() - make_interval(days => $2) WHERE id = $1`, [
          eventId,
          ageDays,
        ]);
        const deliveryId = await seedDelivery(sql, {
          eventId,
          webhookId: webhook.id,
          targetId: target.id,
          status,
        });
        await sql.query(
          `INSERT INTO delivery_attempts (delivery_id, webhook_id, attempt_number, started_at, duration_ms, status_code)
           VALUES ($1, $2, 1, now(), 5, 200)`,
          [deliveryId, webhook.id],
        );
        return eventId;
      };
      const old: string[] = [];
      const finished = ['delivered', 'failed', 'paused'];
      for (let n = 0; n < expired; n++) old.push(await seed(short, 8, finished[n % 3]!));
      return {
        old,
        oldButRetrying: await seed(short, 8, 'retrying'),
        recent: await seed(short, 6, 'delivered'),
        withinLongerRetention: await seed(long, 8, 'delivered'),
      };
    });

    const deleted = await testApp.app.get(RetentionJob).deleteExpiredEvents();
    expect(deleted).toBe(expired);

    await withSql(testApp, async (sql) => {
      const left = await sql.query(`SELECT id FROM events WHERE id = ANY($1::uuid[])`, [
        [...ids.old, ids.oldButRetrying, ids.recent, ids.withinLongerRetention],
      ]);
      expect(left.rows.map((row) => row.id).sort()).toEqual(
        [ids.oldButRetrying, ids.recent, ids.withinLongerRetention].sort(),
      );
      const orphans = await sql.query(
        `SELECT (SELECT count(*)::int FROM deliveries d WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.id = d.event_id)) AS deliveries,
                (SELECT count(*)::int FROM delivery_attempts a WHERE NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.id = a.delivery_id)) AS attempts`,
      );
      expect(orphans.rows[0]).toEqual({ deliveries: 0, attempts: 0 });
      const kept = await sql.query(`SELECT count(*)::int AS n FROM delivery_attempts`);
      expect(kept.rows[0].n).toBe(3);
    });
    expect(await testApp.app.get(RetentionJob).deleteExpiredEvents()).toBe(0);
  });
});
