import { Client } from 'pg';
import { BULK_BATCH_SIZE } from '../src/bulk-operations/bulk-operation.runner';
import { asUser, createMember, eventually, MISSING_ID, seedEvent, TestUser } from './fixtures';
import { ADMIN_PASSWORD, startTestApp, TestApp } from './test-app';

interface Seeded {
  webhookId: string;
  entrypointId: string;
  targetIds: string[];
}

/**
 * Bulk recovery against a real PostgreSQL over real HTTP. ROLE=api: no delivery engine runs, so
 * the statuses a bulk operation leaves are the ones the test reads.
 */
describe('bulk operations (replay and cancel by filter)', () => {
  let testApp: TestApp;
  let admin: TestUser;
  let alice: TestUser;
  let db: Client;

  beforeAll(async () => {
    testApp = await startTestApp({ ROLE: 'api' });
    admin = await asUser(testApp, 'admin', ADMIN_PASSWORD);
    alice = await createMember(testApp, admin, 'alice');
    db = new Client({ connectionString: testApp.databaseUrl });
    await db.connect();
  });
  afterAll(async () => {
    await db.end();
    await testApp.close();
  });

  /** A webhook of `user` with `targets` log targets (they need no network). */
  async function webhookWith(user: TestUser, targets: number): Promise<Seeded> {
    const webhook = await user.apiKey.post('/api/v1/webhooks', { name: 'bulk' }).expect(201);
    const targetIds: string[] = [];
    for (let n = 0; n < targets; n++) {
      const target = await user.apiKey
        .post(`/api/v1/webhooks/${webhook.body.id}/targets`, { name: `log ${n}`, type: 'log' })
        .expect(201);
      targetIds.push(target.body.id);
    }
    return { webhookId: webhook.body.id, entrypointId: webhook.body.entrypoints[0].id, targetIds };
  }

  /** Inserts `count` deliveries of one event to a target in one statement, created `age` ago. */
  async function seed(
    webhook: Seeded,
    delivery: { targetId: string; status: string; count: number; attemptCount?: number; age?: string },
  ): Promise<void> {
    const eventId = await seedEvent(db, webhook.webhookId, webhook.entrypointId);
    await db.query(
      `INSERT INTO deliveries (id, event_id, webhook_id, target_id, status, attempt_count, next_attempt_at,
                               lease_expires_at, leased_by, created_at)
       SELECT gen_random_uuid(), $1, $2, $3, $4::varchar, $5,
              CASE WHEN $4::varchar IN ('pending', 'retrying') THEN now() + interval '1 day' END,
              CASE WHEN $4::varchar IN ('pending', 'retrying') THEN now() + interval '1 day' END,
              CASE WHEN $4::varchar IN ('pending', 'retrying') THEN 'seeded-by-test' END,
              now() - $6::interval
       FROM generate_series(1, $7)`,
      [
        eventId,
        webhook.webhookId,
        delivery.targetId,
        delivery.status,
        delivery.attemptCount ?? 1,
        delivery.age ?? '1 minute',
        delivery.count,
      ],
    );
  }

  /** How many of the webhook's deliveries are in each status (and, for replayed ones, with which replay base). */
  async function counts(webhookId: string, targetId?: string): Promise<Record<string, number>> {
    const { rows } = await db.query(
      `SELECT status, count(*)::int AS n FROM deliveries
       WHERE webhook_id = $1 AND ($2::uuid IS NULL OR target_id = $2) GROUP BY status`,
      [webhookId, targetId ?? null],
    );
    return Object.fromEntries(rows.map((row: { status: string; n: number }) => [row.status, row.n]));
  }

  async function finished(user: TestUser, operationId: string) {
    let body: Record<string, unknown> = {};
    await eventually(`bulk operation ${operationId} ends`, async () => {
      body = (await user.apiKey.get(`/api/v1/bulk-operations/${operationId}`).expect(200)).body;
      return body.state !== 'running';
    });
    return body;
  }

  it('replays 10 000 failed deliveries in batches, with progress readable while it runs', async () => {
    const webhook = await webhookWith(admin, 1);
    const targetId = webhook.targetIds[0]!;
    await seed(webhook, { targetId, status: 'failed', count: 10_000, attemptCount: 3 });
    await seed(webhook, { targetId, status: 'delivered', count: 5 });

    // Holding a lock on the 5 000th failed delivery (by id) stops the operation in the batch that
    // reaches it, after the batches before it (at least three: a batch looks at 1 000 deliveries of
    // the webhook, whatever their status) have committed: their progress must be visible.
    const blocker = new Client({ connectionString: testApp.databaseUrl });
    await blocker.connect();
    let operationId: string;
    try {
      // Looked up first: FOR UPDATE with OFFSET would lock the rows skipped too.
      const { rows: middle } = await db.query(
        `SELECT id FROM deliveries WHERE webhook_id = $1 AND status = 'failed' ORDER BY id OFFSET 4999 LIMIT 1`,
        [webhook.webhookId],
      );
      await blocker.query('BEGIN');
      await blocker.query(`SELECT id FROM deliveries WHERE id = $1 FOR UPDATE`, [middle[0].id]);
      const created = await admin.apiKey
        .post(`/api/v1/webhooks/${webhook.webhookId}/replay`, { status: ['failed'] })
        .expect(202);
      operationId = created.body.id;
      expect(created.body).toMatchObject({
        webhookId: webhook.webhookId,
        kind: 'replay',
        state: 'running',
        total: 10_000,
        done: 0,
        filter: { status: ['failed'], targetId: null, since: null, until: null },
        finishedAt: null,
      });
      let progress: Record<string, unknown> = {};
      await eventually('the batches before the locked delivery are done', async () => {
        progress = (await admin.apiKey.get(`/api/v1/bulk-operations/${created.body.id}`).expect(200)).body;
        return (progress.done as number) >= 3 * BULK_BATCH_SIZE;
      });
      expect(progress).toMatchObject({ state: 'running', total: 10_000 });
      expect(progress.done).toBeLessThan(10_000);
      await blocker.query('COMMIT');

      const done = await finished(admin, created.body.id);
      expect(done).toMatchObject({ state: 'done', done: 10_000, total: 10_000, error: null });
      expect(done.finishedAt).toEqual(expect.any(String));
    } finally {
      await blocker.end();
    }
    expect(await counts(webhook.webhookId)).toEqual({ pending: 10_000, delivered: 5 });
    const { rows } = await db.query(
      `SELECT count(*)::int AS n FROM deliveries
       WHERE webhook_id = $1 AND status = 'pending' AND replay_base = 3 AND next_attempt_at <= now()
         AND lease_expires_at IS NULL AND leased_by IS NULL`,
      [webhook.webhookId],
    );
    expect(rows[0].n).toBe(10_000);

    const list = await admin.apiKey.get(`/api/v1/webhooks/${webhook.webhookId}/bulk-operations`).expect(200);
    expect(list.body.items.map((operation: { id: string }) => operation.id)).toEqual([operationId]);
  });

  it('replays only the target and time range asked for', async () => {
    const webhook = await webhookWith(admin, 2);
    const [first, second] = webhook.targetIds as [string, string];
    await seed(webhook, { targetId: first, status: 'failed', count: 7, attemptCount: 2, age: '1 hour' });
    await seed(webhook, { targetId: first, status: 'failed', count: 4, age: '2 days' });
    await seed(webhook, { targetId: first, status: 'failed', count: 3, age: '5 minutes' });
    await seed(webhook, { targetId: first, status: 'cancelled', count: 2, age: '1 hour' });
    await seed(webhook, { targetId: second, status: 'failed', count: 6, age: '1 hour' });
    const since = new Date(Date.now() - 24 * 3_600_000).toISOString();
    const until = new Date(Date.now() - 30 * 60_000).toISOString();

    const created = await admin.apiKey
      .post(`/api/v1/webhooks/${webhook.webhookId}/replay`, {
        status: ['failed'],
        targetId: first,
        since,
        until,
      })
      .expect(202);
    expect(created.body).toMatchObject({
      total: 7,
      filter: { status: ['failed'], targetId: first, since, until },
    });
    expect(await finished(admin, created.body.id)).toMatchObject({ state: 'done', done: 7 });

    expect(await counts(webhook.webhookId, first)).toEqual({ pending: 7, failed: 7, cancelled: 2 });
    expect(await counts(webhook.webhookId, second)).toEqual({ failed: 6 });
    const { rows } = await db.query(
      `SELECT count(*)::int AS n FROM deliveries WHERE target_id = $1 AND status = 'pending' AND replay_base = 2`,
      [first],
    );
    expect(rows[0].n).toBe(7);
  });

  it("replays an inactive target's deliveries as paused, and leaves a deleted target's alone", async () => {
    const webhook = await webhookWith(admin, 3);
    const [active, inactive, deleted] = webhook.targetIds as [string, string, string];
    for (const targetId of webhook.targetIds) {
      await seed(webhook, { targetId, status: 'failed', count: 3 });
      await seed(webhook, { targetId, status: 'cancelled', count: 2 });
    }
    await admin.apiKey.post(`/api/v1/targets/${inactive}/deactivate`).expect(200);
    await admin.apiKey.delete(`/api/v1/targets/${deleted}`).expect(204);

    const created = await admin.apiKey
      .post(`/api/v1/webhooks/${webhook.webhookId}/replay`, { status: ['failed', 'cancelled'] })
      .expect(202);
    expect(created.body.total).toBe(10);
    expect(await finished(admin, created.body.id)).toMatchObject({ state: 'done', done: 10 });

    expect(await counts(webhook.webhookId, active)).toEqual({ pending: 5 });
    expect(await counts(webhook.webhookId, inactive)).toEqual({ paused: 5 });
    expect(await counts(webhook.webhookId, deleted)).toEqual({ failed: 3, cancelled: 2 });
  });

  it('cancels paused and pending deliveries, and nothing else', async () => {
    const webhook = await webhookWith(admin, 1);
    const targetId = webhook.targetIds[0]!;
    for (const status of ['pending', 'paused', 'retrying', 'failed', 'delivered']) {
      await seed(webhook, { targetId, status, count: 4 });
    }
    const created = await admin.apiKey
      .post(`/api/v1/webhooks/${webhook.webhookId}/cancel`, { status: ['pending', 'paused'] })
      .expect(202);
    expect(created.body).toMatchObject({ kind: 'cancel', total: 8 });
    expect(await finished(admin, created.body.id)).toMatchObject({ state: 'done', done: 8 });

    expect(await counts(webhook.webhookId)).toEqual({ cancelled: 8, retrying: 4, failed: 4, delivered: 4 });
    const { rows } = await db.query(
      `SELECT DISTINCT last_error, next_attempt_at, lease_expires_at, leased_by FROM deliveries
       WHERE webhook_id = $1 AND status = 'cancelled'`,
      [webhook.webhookId],
    );
    expect(rows).toEqual([
      {
        last_error: `cancelled by bulk operation ${created.body.id}`,
        next_attempt_at: null,
        lease_expires_at: null,
        leased_by: null,
      },
    ]);
  });

  it("answers 404 for another user's webhook or operation; admins see all", async () => {
    const adminWebhook = await webhookWith(admin, 1);
    const aliceWebhook = await webhookWith(alice, 1);
    const adminOperation = await admin.apiKey
      .post(`/api/v1/webhooks/${adminWebhook.webhookId}/cancel`, { status: ['pending'] })
      .expect(202);
    const aliceOperation = await alice.apiKey
      .post(`/api/v1/webhooks/${aliceWebhook.webhookId}/replay`, { status: ['failed'] })
      .expect(202);

    await alice.apiKey
      .post(`/api/v1/webhooks/${adminWebhook.webhookId}/replay`, { status: ['failed'] })
      .expect(404);
    await alice.apiKey
      .post(`/api/v1/webhooks/${adminWebhook.webhookId}/cancel`, { status: ['pending'] })
      .expect(404);
    await alice.apiKey.get(`/api/v1/webhooks/${adminWebhook.webhookId}/bulk-operations`).expect(404);
    const hidden = await alice.apiKey.get(`/api/v1/bulk-operations/${adminOperation.body.id}`).expect(404);
    expect(hidden.body.detail).toBe(`Bulk operation ${adminOperation.body.id} not found`);
    await alice.apiKey.get(`/api/v1/bulk-operations/${MISSING_ID}`).expect(404);
    await alice.session.get(`/api/v1/bulk-operations/${aliceOperation.body.id}`).expect(200);

    await admin.apiKey.get(`/api/v1/bulk-operations/${aliceOperation.body.id}`).expect(200);
    const list = await admin.apiKey
      .get(`/api/v1/webhooks/${aliceWebhook.webhookId}/bulk-operations`)
      .expect(200);
    expect(list.body.items.map((operation: { id: string }) => operation.id)).toEqual([
      aliceOperation.body.id,
    ]);
  });

  it('refuses a bad filter with 400 naming the field, and makes nothing', async () => {
    const webhook = await webhookWith(admin, 1);
    const other = await webhookWith(admin, 1);
    const replay = `/api/v1/webhooks/${webhook.webhookId}/replay`;
    const cancel = `/api/v1/webhooks/${webhook.webhookId}/cancel`;
    const cases: [string, object, string][] = [
      [replay, { status: ['bogus'] }, 'status'],
      [replay, { status: ['delivered'] }, 'status'],
      [replay, {}, 'status'],
      [replay, { status: [] }, 'status'],
      [cancel, { status: ['failed'] }, 'status'],
      [replay, { status: ['failed'], targetId: other.targetIds[0] }, 'targetId'],
      [replay, { status: ['failed'], targetId: 'not-a-uuid' }, 'targetId'],
      [replay, { status: ['failed'], since: 'yesterday' }, 'since'],
      [
        cancel,
        { status: ['pending'], since: '2025-06-02T00:00:00Z', until: '2025-06-01T00:00:00Z' },
        'until',
      ],
    ];
    for (const [path, body, field] of cases) {
      const response = await admin.apiKey.post(path, body).expect(400);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect({ body, fields: response.body.errors.map((error: { field: string }) => error.field) }).toEqual({
        body,
        fields: [field],
      });
    }
    const list = await admin.apiKey.get(`/api/v1/webhooks/${webhook.webhookId}/bulk-operations`).expect(200);
    expect(list.body.items).toEqual([]);
  });

  it('honours Idempotency-Key: a retried POST answers the first operation and makes no other', async () => {
    const webhook = await webhookWith(admin, 1);
    const path = `/api/v1/webhooks/${webhook.webhookId}/replay`;
    const first = await admin.apiKey
      .post(path, { status: ['failed'] })
      .set('Idempotency-Key', 'bulk-1')
      .expect(202);
    const again = await admin.apiKey
      .post(path, { status: ['failed'] })
      .set('Idempotency-Key', 'bulk-1')
      .expect(202);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body.id).toBe(first.body.id);
    await admin.apiKey
      .post(path, { status: ['cancelled'] })
      .set('Idempotency-Key', 'bulk-1')
      .expect(422);
    const list = await admin.apiKey.get(`/api/v1/webhooks/${webhook.webhookId}/bulk-operations`).expect(200);
    expect(list.body.items.map((operation: { id: string }) => operation.id)).toEqual([first.body.id]);
  });

  it('leaves an operation leased by another replica alone, and resumes it from its cursor once the lease expired', async () => {
    const webhook = await webhookWith(admin, 1);
    const targetId = webhook.targetIds[0]!;
    await seed(webhook, { targetId, status: 'failed', count: 3000, attemptCount: 4 });
    // A replica replayed the first half, then died; those deliveries have failed again since.
    const { rows } = await db.query(
      `SELECT id FROM deliveries WHERE webhook_id = $1 ORDER BY id OFFSET 1499 LIMIT 1`,
      [webhook.webhookId],
    );
    const cursor: string = rows[0].id;
    const inserted = await db.query(
      `INSERT INTO bulk_operations (id, webhook_id, kind, filter, total, done, last_delivery_id, leased_by, lease_expires_at)
       VALUES (gen_random_uuid(), $1, 'replay', $2, 3000, 1500, $3, 'dead-replica', now() + interval '1 day')
       RETURNING id`,
      [webhook.webhookId, { status: ['failed'], targetId: null, since: null, until: null }, cursor],
    );
    const orphanId: string = inserted.rows[0].id;

    // A later operation is run while the leased one is skipped (claims go oldest first).
    const later = await webhookWith(admin, 1);
    const laterOperation = await admin.apiKey
      .post(`/api/v1/webhooks/${later.webhookId}/replay`, { status: ['failed'] })
      .expect(202);
    await finished(admin, laterOperation.body.id);
    const untouched = await admin.apiKey.get(`/api/v1/bulk-operations/${orphanId}`).expect(200);
    expect(untouched.body).toMatchObject({ state: 'running', done: 1500 });
    expect(await counts(webhook.webhookId)).toEqual({ failed: 3000 });

    await db.query(
      `UPDATE bulk_operations SET lease_expires_at = now() - interval '1 second' WHERE id = $1`,
      [orphanId],
    );
    expect(await finished(admin, orphanId)).toMatchObject({ state: 'done', done: 3000, total: 3000 });
    const halves = await db.query(
      `SELECT id <= $2 AS before_cursor, status, count(*)::int AS n FROM deliveries
       WHERE webhook_id = $1 GROUP BY 1, 2 ORDER BY 1`,
      [webhook.webhookId, cursor],
    );
    expect(halves.rows).toEqual([
      { before_cursor: false, status: 'pending', n: 1500 },
      { before_cursor: true, status: 'failed', n: 1500 },
    ]);
  });
});
