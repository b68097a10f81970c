import { Client as PgClient } from 'pg';
import { StatsRollupJob } from '../src/stats/stats-rollup.job';
import { ADMIN_PASSWORD, startTestApp, TestApp } from './test-app';
import { asUser, createMember, eventually, MISSING_ID, TestUser, withSql } from './fixtures';

interface Seeded {
  webhookId: string;
  entrypointId: string;
  targetIds: string[];
}

/**
 * `count` events received `ago` (a PostgreSQL interval, at second 30 of its minute so the attempts
 * below finish in the same minute), each with one delivery to `targetId` in `status` whose
 * `attempts` attempts took `durationMs` and answered `statusCode` (the last one: its outcome).
 */
async function seed(
  sql: PgClient,
  webhook: Seeded,
  options: {
    ago: string;
    count: number;
    targetId?: string;
    status?: string;
    attempts?: number;
    durationMs?: number;
    statusCode?: number;
  },
): Promise<void> {
  const {
    ago,
    count,
    targetId,
    status = 'delivered',
    attempts = 1,
    durationMs = 20,
    statusCode = 200,
  } = options;
  await sql.query(
    `WITH at AS (
       SELECT date_bin('1 minute', now() - $3::interval, timestamptz '2000-01-01T00:00:00Z') + interval '30 seconds' AS t
     ), events AS (
       INSERT INTO events (id, webhook_id, entrypoint_id, method, path, headers, body, received_at)
       SELECT gen_random_uuid(), $1, $2, 'POST', '/seeded', '{}', '\\x7b7d', at.t FROM at, generate_series(1, $4)
       RETURNING id, received_at
     ), deliveries AS (
       INSERT INTO deliveries (id, event_id, webhook_id, target_id, status, attempt_count, next_attempt_at,
                               lease_expires_at, leased_by, created_at)
       SELECT gen_random_uuid(), e.id, $1, $5, $6::varchar, CASE WHEN $6::varchar = 'skipped' THEN 0 ELSE $7 END,
              CASE WHEN $6::varchar = 'retrying' THEN now() + interval '1 day' END,
              CASE WHEN $6::varchar = 'retrying' THEN now() + interval '1 day' END,
              CASE WHEN $6::varchar = 'retrying' THEN 'seeded-by-test' END, e.received_at
       FROM events e WHERE $5::uuid IS NOT NULL
       RETURNING id, created_at, attempt_count
     )
     INSERT INTO delivery_attempts (delivery_id, webhook_id, attempt_number, started_at, duration_ms, status_code, error)
     SELECT d.id, $1, n, d.created_at, $8, CASE WHEN n = d.attempt_count THEN $9 ELSE 503 END,
            CASE WHEN n = d.attempt_count AND $9 BETWEEN 200 AND 299 THEN NULL ELSE 'HTTP ' || CASE WHEN n = d.attempt_count THEN $9 ELSE 503 END END
     FROM deliveries d CROSS JOIN LATERAL generate_series(1, d.attempt_count) AS n`,
    [
      webhook.webhookId,
      webhook.entrypointId,
      ago,
      count,
      targetId ?? null,
      status,
      attempts,
      durationMs,
      statusCode,
    ],
  );
}

/**
 * The stats API (GET /api/v1/stats) against seeded events, deliveries and attempts with known
 * outcomes and latencies, rolled up by the StatsRollupJob (run by the test; its own interval is an hour).
 */
describe('statistics (HTTP, real PostgreSQL)', () => {
  let testApp: TestApp;
  let admin: TestUser;
  let member: TestUser;
  let job: StatsRollupJob;
  let shop: Seeded;
  let crm: Seeded;

  async function createWebhook(user: TestUser, name: string, targets: string[]): Promise<Seeded> {
    const webhook = await user.apiKey.post('/api/v1/webhooks', { name }).expect(201);
    const targetIds: string[] = [];
    for (const target of targets) {
      const created = await user.apiKey
        .post(`/api/v1/webhooks/${webhook.body.id}/targets`, { name: target, type: 'log', active: false })
        .expect(201);
      targetIds.push(created.body.id);
    }
    return { webhookId: webhook.body.id, entrypointId: webhook.body.entrypoints[0].id, targetIds };
  }

  beforeAll(async () => {
    testApp = await startTestApp({ STATS_ROLLUP_INTERVAL_MS: '3600000', EVENT_PURGE_INTERVAL_MS: '200' });
    admin = await asUser(testApp, 'admin', ADMIN_PASSWORD);
    member = await createMember(testApp, admin, 'stats-member');
    job = testApp.app.get(StatsRollupJob);
    // Targets created inactive, so the delivery engine leaves the seeded rows alone; then marked
    // active again in the table (the engine only picks up deliveries it is handed or due ones).
    shop = await createWebhook(admin, 'Shop', ['billing', 'audit']);
    crm = await createWebhook(member, 'CRM', ['sales']);
    await withSql(testApp, async (sql) => {
      await sql.query(`UPDATE targets SET active = true WHERE webhook_id = ANY($1::uuid[])`, [
        [shop.webhookId, crm.webhookId],
      ]);
      // The test stores `skipped` deliveries (routing) whatever this schema's list of statuses.
      await sql.query(`ALTER TABLE deliveries DROP CONSTRAINT deliveries_status_check`);
      const [billing, audit] = shop.targetIds;
      // 10 minutes ago: 18 delivered to billing in 20 ms, 2 failed after one 800 ms attempt to audit,
      // 1 retrying at audit after one 800 ms attempt, 1 skipped at billing; 5 delivered to sales in 100 ms.
      await seed(sql, shop, { ago: '10 minutes', count: 18, targetId: billing });
      await seed(sql, shop, {
        ago: '10 minutes',
        count: 2,
        targetId: audit,
        status: 'failed',
        durationMs: 800,
        statusCode: 500,
      });
      await seed(sql, shop, {
        ago: '10 minutes',
        count: 1,
        targetId: audit,
        status: 'retrying',
        durationMs: 800,
        statusCode: 503,
      });
      await seed(sql, shop, { ago: '10 minutes', count: 1, targetId: billing, status: 'skipped' });
      await seed(sql, crm, { ago: '10 minutes', count: 5, targetId: crm.targetIds[0], durationMs: 100 });
      // 3 hours ago: 7 delivered to billing on the second attempt (the first answered 503), 50 ms each.
      await seed(sql, shop, { ago: '3 hours', count: 7, targetId: billing, attempts: 2, durationMs: 50 });
      // 3 days ago: 3 events without targets; 9 days ago: 2 events, past every window.
      await seed(sql, shop, { ago: '3 days', count: 3 });
      await seed(sql, shop, { ago: '9 days', count: 2 });
    });
  });
  afterAll(() => testApp.close());

  it('rolls up each row once, however often and concurrently the job runs', async () => {
    await Promise.all([job.rollUp(), job.rollUp(), job.rollUp()]);
    await job.rollUp();
    const response = await admin.session.get('/api/v1/stats?window=24h').expect(200);
    expect(response.body.totals).toMatchObject({
      eventsReceived: 34,
      delivered: 30,
      failed: 2,
      skipped: 1,
      attempts: 40,
    });
  });

  it('counts outcomes and latency percentiles of the last hour for an admin', async () => {
    const { body } = await admin.session.get('/api/v1/stats?window=1h').expect(200);
    expect(body).toMatchObject({ window: '1h', intervalSeconds: 60 });
    expect(new Date(body.to).getTime() - new Date(body.from).getTime()).toBe(3_600_000);
    // attempts: 18 × 20 ms, 3 × 800 ms, 5 × 100 ms; p50 is 20 ms, p95 800 ms (within a slot, ±19 %)
    expect(body.totals).toMatchObject({
      eventsReceived: 27,
      delivered: 23,
      failed: 2,
      skipped: 1,
      attempts: 26,
    });
    expect(body.totals.successRate).toBeCloseTo(23 / 25, 5);
    expect(body.totals.latencyP50Ms).toBeGreaterThan(20 * 0.8);
    expect(body.totals.latencyP50Ms).toBeLessThan(20 * 1.25);
    expect(body.totals.latencyP95Ms).toBeGreaterThan(800 * 0.8);
    expect(body.totals.latencyP95Ms).toBeLessThan(800 * 1.25);
    // One interval with traffic, 10 minutes ago.
    expect(body.series).toHaveLength(1);
    expect(body.series[0]).toMatchObject({ eventsReceived: 27, delivered: 23, failed: 2, skipped: 1 });
    expect(Date.now() - new Date(body.series[0].at).getTime()).toBeGreaterThanOrEqual(10 * 60_000);
    expect(Date.now() - new Date(body.series[0].at).getTime()).toBeLessThan(12 * 60_000);

    const [billing, audit] = shop.targetIds;
    // The failing target first, with its last error.
    expect(body.targets.map((target: { id: string }) => target.id)).toHaveLength(3);
    expect(body.targets.find((t: { id: string }) => t.id === audit)).toMatchObject({
      webhookName: 'Shop',
      name: 'audit',
      delivered: 0,
      failed: 2,
      attempts: 3,
      successRate: 0,
      lastError: 'HTTP 503',
      queue: { pending: 0, retrying: 1, paused: 0 },
    });
    expect(body.targets.find((t: { id: string }) => t.id === billing)).toMatchObject({
      delivered: 18,
      failed: 0,
      skipped: 1,
      successRate: 1,
      lastError: null,
    });
    expect(body.queue).toEqual({ pending: 0, retrying: 1, paused: 0 });
    const shopStats = body.webhooks.find((w: { id: string }) => w.id === shop.webhookId);
    expect(shopStats).toMatchObject({ name: 'Shop', eventsReceived: 22, delivered: 18, failed: 2 });
    expect(shopStats.lastDeliveryAt).not.toBeNull();
  });

  it('lists failing targets first, with when they began failing, and counts open circuits and paused targets', async () => {
    const [billing, audit] = shop.targetIds;
    await withSql(testApp, async (sql) => {
      await sql.query(
        `UPDATE targets SET consecutive_failures = 7, failing_since = now() - interval '2 hours',
                            circuit_open_until = now() + interval '1 hour' WHERE id = $1`,
        [audit],
      );
      await sql.query(`UPDATE targets SET active = false WHERE id = $1`, [crm.targetIds[0]]);
    });
    const { body } = await admin.session.get('/api/v1/stats?window=1h').expect(200);
    expect(body.targets.map((target: { id: string }) => target.id)).toEqual([
      audit,
      crm.targetIds[0],
      billing,
    ]);
    expect(body.targets[0]).toMatchObject({ circuit: 'open', state: 'active' });
    expect(Date.now() - new Date(body.targets[0].failingSince).getTime()).toBeGreaterThanOrEqual(
      2 * 3_600_000,
    );
    expect(body.targets[1]).toMatchObject({ state: 'paused', failingSince: null });
    expect(body).toMatchObject({ openCircuits: 1, pausedTargets: 1, disabledTargets: 0 });
  });

  it('gives each window its intervals', async () => {
    const day = await admin.session.get('/api/v1/stats?window=24h').expect(200);
    expect(day.body).toMatchObject({ intervalSeconds: 3600 });
    expect(new Date(day.body.to).getTime() - new Date(day.body.from).getTime()).toBe(24 * 3_600_000);
    expect(day.body.series.map((point: { eventsReceived: number }) => point.eventsReceived)).toEqual([7, 27]);
    expect(day.body.series[0]).toMatchObject({ delivered: 7, failed: 0 });

    const week = await admin.session.get('/api/v1/stats?window=7d').expect(200);
    expect(week.body).toMatchObject({ intervalSeconds: 21_600 });
    expect(new Date(week.body.to).getTime() - new Date(week.body.from).getTime()).toBe(7 * 24 * 3_600_000);
    // 9 days ago is past the window (and past the rollups' horizon).
    expect(week.body.totals).toMatchObject({ eventsReceived: 37, delivered: 30, attempts: 40 });
    expect(week.body.series[0].eventsReceived).toBe(3);

    const default24h = await admin.session.get('/api/v1/stats').expect(200);
    expect(default24h.body.window).toBe('24h');
  });

  it('shows a member only their own webhooks, and 404 for anyone else’s', async () => {
    const { body } = await member.session.get('/api/v1/stats?window=1h').expect(200);
    expect(body.totals).toMatchObject({ eventsReceived: 5, delivered: 5, failed: 0, attempts: 5 });
    expect(body.webhooks.map((webhook: { id: string }) => webhook.id)).toEqual([crm.webhookId]);
    expect(body.targets.map((target: { id: string }) => target.id)).toEqual(crm.targetIds);
    expect(body.totals.latencyP50Ms).toBeGreaterThan(100 * 0.8);
    expect(body.totals.latencyP50Ms).toBeLessThan(100 * 1.25);

    const otherWebhook = await member.apiKey.get(`/api/v1/stats?webhookId=${shop.webhookId}`).expect(404);
    expect(otherWebhook.body.detail).toContain('not found');
    await member.apiKey.get(`/api/v1/stats?targetId=${shop.targetIds[0]}`).expect(404);
    await admin.apiKey.get(`/api/v1/stats?webhookId=${MISSING_ID}`).expect(404);
    // An admin may narrow to anyone's webhook.
    const narrowed = await admin.apiKey.get(`/api/v1/stats?window=1h&webhookId=${crm.webhookId}`).expect(200);
    expect(narrowed.body.totals).toMatchObject({ eventsReceived: 5, delivered: 5 });
  });

  it('narrows to a webhook or a target, with a series per target', async () => {
    const [billing, audit] = shop.targetIds;
    const webhook = await admin.apiKey
      .get(`/api/v1/stats?window=24h&webhookId=${shop.webhookId}`)
      .expect(200);
    expect(webhook.body.totals).toMatchObject({ eventsReceived: 29, delivered: 25, failed: 2 });
    const billingStats = webhook.body.targets.find((t: { id: string }) => t.id === billing);
    expect(billingStats.series.map((point: { delivered: number }) => point.delivered)).toEqual([7, 18]);

    const target = await admin.apiKey.get(`/api/v1/stats?window=1h&targetId=${audit}`).expect(200);
    expect(target.body.targets).toHaveLength(1);
    expect(target.body.totals).toMatchObject({ delivered: 0, failed: 2, attempts: 3, eventsReceived: 22 });
    expect(target.body.targets[0].series).toEqual([expect.objectContaining({ delivered: 0, failed: 2 })]);
  });

  it('refuses bad parameters with a message naming them', async () => {
    const window = await admin.apiKey.get('/api/v1/stats?window=2d').expect(400);
    expect(JSON.stringify(window.body)).toContain('Window must be one of 1h, 24h, 7d');
    const id = await admin.apiKey.get('/api/v1/stats?webhookId=nope').expect(400);
    expect(JSON.stringify(id.body)).toContain('Webhook ID must be a UUID');
  });

  it('counts around odd rows: an attempt without its delivery, a negative duration, a huge error', async () => {
    const [billing] = shop.targetIds;
    const before = (await admin.apiKey.get('/api/v1/stats?window=1h').expect(200)).body.totals;
    await withSql(testApp, async (sql) => {
      const { rows } = await sql.query(
        `INSERT INTO deliveries (id, event_id, webhook_id, target_id, status, attempt_count, created_at)
         VALUES (gen_random_uuid(), gen_random_uuid(), $1, $2, 'failed', 1, now() - interval '1 minute')
         RETURNING id`,
        [shop.webhookId, billing],
      );
      await sql.query(
        `INSERT INTO delivery_attempts (delivery_id, webhook_id, attempt_number, started_at, duration_ms, status_code, error)
         VALUES ($1, $2, 1, now() - interval '1 minute', -40, NULL, repeat('x', 100000)),
                (gen_random_uuid(), $2, 1, now() - interval '1 minute', 10, 200, NULL)`,
        [rows[0].id, shop.webhookId],
      );
    });
    await job.rollUp();
    const { body } = await admin.apiKey.get('/api/v1/stats?window=1h').expect(200);
    // The failed attempt counts (its error cut to 1 KiB); the one whose delivery is gone does not.
    expect(body.totals).toMatchObject({ attempts: before.attempts + 1, failed: before.failed + 1 });
    const billingStats = body.targets.find((t: { id: string }) => t.id === billing);
    expect(billingStats.lastError).toBe('x'.repeat(1024));
  });

  it('deletes the rollups of a deleted webhook with its event data', async () => {
    const rollups = () =>
      withSql(testApp, async (sql) => {
        const { rows } = await sql.query(
          `SELECT (SELECT count(*) FROM stats_rollups_minute WHERE webhook_id = $1)
                + (SELECT count(*) FROM stats_rollups_hour WHERE webhook_id = $1) AS count`,
          [crm.webhookId],
        );
        return Number(rows[0].count);
      });
    expect(await rollups()).toBeGreaterThan(0);
    await member.apiKey.delete(`/api/v1/webhooks/${crm.webhookId}`).expect(204);
    await eventually('the rollups of the deleted webhook are deleted', async () => (await rollups()) === 0);
    const { body } = await admin.session.get('/api/v1/stats?window=1h').expect(200);
    expect(body.totals).toMatchObject({ eventsReceived: 22, delivered: 18 });
  });
});
