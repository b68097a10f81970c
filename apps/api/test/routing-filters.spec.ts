import { asUser, createMember, TestUser, withSql } from './fixtures';
import { Sink, waitFor } from './sink';
import { ADMIN_PASSWORD, startTestApp, TestApp } from './test-app';

interface DeliveryBody {
  id: string;
  targetId: string;
  status: string;
  attemptCount: number;
  skipReason: string | null;
}

const PAID_ONLY = { body: { type: 'invoice.paid', 'data.amount': { $gte: 100 } } };

describe('per-target filters (real PostgreSQL, real HTTP sink)', () => {
  let testApp: TestApp;
  let admin: TestUser;
  let sink: Sink;

  beforeAll(async () => {
    testApp = await startTestApp({ ALLOW_PRIVATE_TARGETS: 'true', SWEEP_INTERVAL_MS: '200' });
    admin = await asUser(testApp, 'admin', ADMIN_PASSWORD);
    sink = await Sink.start();
  });

  afterAll(async () => {
    await testApp.close();
    await sink.stop();
  });

  /** A webhook with an http target to the sink that has PAID_ONLY as its filter, and a log target without one. */
  async function webhookWithFilteredTarget() {
    const webhook = (await admin.apiKey.post('/api/v1/webhooks', { name: 'invoices' }).expect(201)).body;
    const filtered = (
      await admin.apiKey
        .post(`/api/v1/webhooks/${webhook.id}/targets`, {
          name: 'Paid invoices',
          type: 'http',
          http: { url: `${sink.url}/paid` },
          filter: PAID_ONLY,
        })
        .expect(201)
    ).body;
    const everything = (
      await admin.apiKey
        .post(`/api/v1/webhooks/${webhook.id}/targets`, { name: 'Audit', type: 'log' })
        .expect(201)
    ).body;
    return { webhook, filtered, everything, ingestPath: `/webhook/${webhook.entrypoints[0].id}` };
  }

  async function send(ingestPath: string, body: object): Promise<string> {
    const response = await testApp.request().post(ingestPath).send(body).expect(200);
    return response.body.eventId;
  }

  async function deliveriesOf(eventId: string): Promise<DeliveryBody[]> {
    return (await admin.apiKey.get(`/api/v1/events/${eventId}`).expect(200)).body.deliveries;
  }

  it('delivers the events a filter matches and records the others as skipped, without an attempt', async () => {
    const { filtered, everything, ingestPath } = await webhookWithFilteredTarget();
    expect(filtered.filter).toEqual(PAID_ONLY);
    expect(everything.filter).toBeNull();

    const paid = await send(ingestPath, { type: 'invoice.paid', data: { amount: 250 } });
    const small = await send(ingestPath, { type: 'invoice.paid', data: { amount: 5 } });
    const failed = await send(ingestPath, { type: 'invoice.failed', data: { amount: 250 } });

    await waitFor(() => sink.requests.some((r) => r.url === '/paid'), 10_000, 'the matching event');
    const delivered = await waitFor(async () => {
      const deliveries = await deliveriesOf(paid);
      return deliveries.every((d) => d.status === 'delivered') && deliveries;
    });
    expect(delivered.map((d) => d.skipReason)).toEqual([null, null]);

    for (const eventId of [small, failed]) {
      const deliveries = await waitFor(async () => {
        const found = await deliveriesOf(eventId);
        return found.find((d) => d.targetId === everything.id)?.status === 'delivered' && found;
      });
      const skipped = deliveries.find((d) => d.targetId === filtered.id)!;
      expect(skipped).toMatchObject({ status: 'skipped', skipReason: 'filter', attemptCount: 0 });
      expect((await admin.apiKey.get(`/api/v1/deliveries/${skipped.id}/attempts`).expect(200)).body).toEqual(
        [],
      );
      const event = (await admin.apiKey.get(`/api/v1/events/${eventId}`).expect(200)).body;
      expect(event.deliveryCounts).toMatchObject({ skipped: 1, delivered: 1 });
    }
    await withSql(testApp, async (sql) => {
      const { rows } = await sql.query(
        `SELECT lease_expires_at, leased_by, next_attempt_at FROM deliveries WHERE status = 'skipped' AND event_id = ANY($1::uuid[])`,
        [[small, failed]],
      );
      expect(rows).toEqual([
        { lease_expires_at: null, leased_by: null, next_attempt_at: null },
        { lease_expires_at: null, leased_by: null, next_attempt_at: null },
      ]);
    });
    // The sink got the matching event only: one request, with its body.
    const received = sink.requests.filter((r) => r.url === '/paid');
    expect(received.map((r) => JSON.parse(r.body.toString()))).toEqual([
      { type: 'invoice.paid', data: { amount: 250 } },
    ]);

    const skippedOnly = await admin.apiKey
      .get(`/api/v1/targets/${filtered.id}/deliveries?status=skipped`)
      .expect(200);
    expect(skippedOnly.body.items).toHaveLength(2);
  });

  it('refuses to replay a skipped delivery, and routes a replayed event through the current filter', async () => {
    const { filtered, ingestPath } = await webhookWithFilteredTarget();
    const eventId = await send(ingestPath, { type: 'invoice.failed', data: { amount: 250 } });
    const skipped = (await deliveriesOf(eventId)).find((d) => d.targetId === filtered.id)!;
    const refused = await admin.apiKey.post(`/api/v1/deliveries/${skipped.id}/replay`).expect(409);
    expect(refused.body.detail).toContain('was skipped (filter)');

    const replayed = (await admin.apiKey.post(`/api/v1/events/${eventId}/replay`).expect(200))
      .body as DeliveryBody[];
    expect(replayed.find((d) => d.targetId === filtered.id)).toMatchObject({
      status: 'skipped',
      skipReason: 'filter',
    });

    await admin.apiKey
      .patch(`/api/v1/targets/${filtered.id}`, { filter: { body: { type: { $startsWith: 'invoice.' } } } })
      .expect(200);
    const again = (await admin.apiKey.post(`/api/v1/events/${eventId}/replay`).expect(200))
      .body as DeliveryBody[];
    const now = again.find((d) => d.targetId === filtered.id)!;
    expect(now.status).toBe('pending');
    await waitFor(
      async () => (await deliveriesOf(eventId)).find((d) => d.id === now.id)?.status === 'delivered',
      10_000,
      'the replayed delivery',
    );
  });

  it('applies a changed filter to the next events, and a removed one lets every event through', async () => {
    const { filtered, ingestPath } = await webhookWithFilteredTarget();
    const before = await send(ingestPath, { type: 'order.created' });
    expect((await deliveriesOf(before)).find((d) => d.targetId === filtered.id)?.status).toBe('skipped');

    const cleared = await admin.apiKey.patch(`/api/v1/targets/${filtered.id}`, { filter: null }).expect(200);
    expect(cleared.body.filter).toBeNull();
    const after = await send(ingestPath, { type: 'order.created' });
    expect((await deliveriesOf(after)).find((d) => d.targetId === filtered.id)?.status).not.toBe('skipped');
  });

  it('takes hostile bodies in its stride: invalid JSON, deep nesting, __proto__ keys, a form', async () => {
    const { filtered, everything, ingestPath } = await webhookWithFilteredTarget();
    const bodies: [string, string][] = [
      ['application/json', '{"type": "invoice.paid", "data": '],
      ['application/json', `${'['.repeat(100_000)}${']'.repeat(100_000)}`],
      ['application/json', '{"__proto__": {"type": "invoice.paid"}, "data": {"amount": 500}}'],
      ['application/x-www-form-urlencoded', 'type=invoice.paid&data.amount=500'],
      ['application/octet-stream', '\xff\xfe'],
    ];
    const eventIds: string[] = [];
    for (const [contentType, body] of bodies) {
      const response = await testApp
        .request()
        .post(ingestPath)
        .set('content-type', contentType)
        .send(body)
        .expect(200);
      eventIds.push(response.body.eventId);
    }
    const matching = await send(ingestPath, { type: 'invoice.paid', data: { amount: 500 } });
    for (const eventId of eventIds) {
      const deliveries = await deliveriesOf(eventId);
      expect(deliveries.find((d) => d.targetId === filtered.id)?.status).toBe('skipped');
      expect(deliveries.find((d) => d.targetId === everything.id)?.status).not.toBe('skipped');
    }
    expect((await deliveriesOf(matching)).find((d) => d.targetId === filtered.id)?.status).not.toBe(
      'skipped',
    );
  });

  it('filters before pausing: an event a paused target does not take is skipped, not paused', async () => {
    const { filtered, ingestPath } = await webhookWithFilteredTarget();
    await admin.apiKey.patch(`/api/v1/targets/${filtered.id}`, { active: false }).expect(200);
    const other = await send(ingestPath, { type: 'order.created' });
    const paid = await send(ingestPath, { type: 'invoice.paid', data: { amount: 100 } });
    expect((await deliveriesOf(other)).find((d) => d.targetId === filtered.id)?.status).toBe('skipped');
    expect((await deliveriesOf(paid)).find((d) => d.targetId === filtered.id)?.status).toBe('paused');
  });

  it('answers 400 naming the operator and its path, and saves nothing', async () => {
    const { webhook, filtered } = await webhookWithFilteredTarget();
    const created = await admin.apiKey
      .post(`/api/v1/webhooks/${webhook.id}/targets`, {
        name: 'Bad',
        type: 'log',
        filter: { body: { amount: { $gtt: 5 } } },
      })
      .expect(400);
    expect(created.body.errors).toEqual([
      { field: 'filter', message: 'filter.body.amount: unknown operator "$gtt"' },
    ]);
    const targets = (await admin.apiKey.get(`/api/v1/webhooks/${webhook.id}/targets`).expect(200)).body.items;
    expect(targets.map((t: { name: string }) => t.name).sort()).toEqual(['Audit', 'Paid invoices']);

    const updated = await admin.apiKey
      .patch(`/api/v1/targets/${filtered.id}`, { name: 'Renamed', filter: { body: { x: { $regex: '(' } } } })
      .expect(400);
    expect(updated.body.errors[0].message).toMatch(/^filter\.body\.x: invalid \$regex: /);
    await admin.apiKey
      .patch(`/api/v1/targets/${filtered.id}`, { filter: ['not', 'an', 'object'] })
      .expect(400);
    const unchanged = (await admin.apiKey.get(`/api/v1/targets/${filtered.id}`).expect(200)).body;
    expect(unchanged).toMatchObject({ name: 'Paid invoices', filter: PAID_ONLY });
  });

  it('carries filters through configuration as code: apply, export, plan without changes', async () => {
    const member = await createMember(testApp, admin, 'filters-as-code');
    const document = {
      version: 1,
      webhooks: [
        {
          key: 'filtered-orders',
          name: 'Filtered orders',
          entrypoints: [{ key: 'shop' }],
          targets: [
            { key: 'audit', name: 'Audit', type: 'log' },
            { key: 'big', name: 'Big orders', type: 'log', filter: { 'body.total': { $gt: 1000 } } },
          ],
        },
      ],
    };
    const applied = await member.apiKey.post('/api/v1/config/apply', document).expect(200);
    expect(applied.body.changes.find((c: { key: string }) => c.key === 'big').fields).toContainEqual({
      field: 'filter',
      before: null,
      after: { 'body.total': { $gt: 1000 } },
    });
    const exported = (await member.apiKey.get('/api/v1/config/export').expect(200)).body;
    const webhook = exported.webhooks.find((w: { key: string }) => w.key === 'filtered-orders');
    expect(webhook.targets).toEqual([
      { key: 'audit', name: 'Audit', type: 'log', active: true },
      { key: 'big', name: 'Big orders', type: 'log', active: true, filter: { 'body.total': { $gt: 1000 } } },
    ]);
    expect((await member.apiKey.post('/api/v1/config/plan', exported).expect(200)).body.changes).toEqual([]);

    const changed = structuredClone(document);
    changed.webhooks[0]!.targets[1]!.filter = { 'body.total': { $gt: 10 } };
    const plan = (await member.apiKey.post('/api/v1/config/plan', changed).expect(200)).body.changes;
    expect(plan).toHaveLength(1);
    expect(plan[0].fields).toEqual([
      { field: 'filter', before: { 'body.total': { $gt: 1000 } }, after: { 'body.total': { $gt: 10 } } },
    ]);

    changed.webhooks[0]!.targets[1]!.filter = { 'body.total': { $between: [1, 2] } };
    const refused = await member.apiKey.post('/api/v1/config/plan', changed).expect(400);
    expect(refused.body.errors[0].message).toBe(
      'webhooks[0].targets[1].filter.body.total: unknown operator "$between"',
    );
  });
});
