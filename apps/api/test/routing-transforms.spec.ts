import { Webhook as StandardWebhook } from 'standardwebhooks';
import { asUser, createMember, TestUser, withSql } from './fixtures';
import { ReceivedRequest, Sink, waitFor } from './sink';
import { ADMIN_PASSWORD, startTestApp, TestApp } from './test-app';

interface DeliveryBody {
  id: string;
  targetId: string;
  status: string;
  attemptCount: number;
  skipReason: string | null;
}

const RESHAPE = `function handler(request) {
  if (request.body.type === 'ping') return null;
  request.headers['x-order'] = String(request.body.data.id);
  delete request.headers['x-secret'];
  request.path = '/orders/' + request.body.data.id;
  request.query = { source: 'webhooker' };
  request.body = { order: request.body.data.id, cents: request.body.data.amount * 100 };
  return request;
}`;

/** The headers a Standard Webhooks receiver verifies. */
function signed(request: ReceivedRequest): Record<string, string> {
  return {
    'webhook-id': String(request.headers['webhook-id']),
    'webhook-timestamp': String(request.headers['webhook-timestamp']),
    'webhook-signature': String(request.headers['webhook-signature']),
  };
}

describe('per-target transforms (real PostgreSQL, real HTTP sink)', () => {
  let testApp: TestApp;
  let admin: TestUser;
  let sink: Sink;

  beforeAll(async () => {
    testApp = await startTestApp({
      ALLOW_PRIVATE_TARGETS: 'true',
      SWEEP_INTERVAL_MS: '200',
      // Generous for a loaded test machine; the unit tests hold the default's behaviour.
      TRANSFORM_TIMEOUT_MS: '200',
    });
    admin = await asUser(testApp, 'admin', ADMIN_PASSWORD);
    sink = await Sink.start();
  });

  afterAll(async () => {
    await testApp.close();
    await sink.stop();
  });

  async function webhookWith(targets: object[]) {
    const webhook = (await admin.apiKey.post('/api/v1/webhooks', { name: 'orders' }).expect(201)).body;
    const created = [];
    for (const target of targets) {
      created.push(
        (await admin.apiKey.post(`/api/v1/webhooks/${webhook.id}/targets`, target).expect(201)).body,
      );
    }
    return { webhook, targets: created, ingestPath: `/webhook/${webhook.entrypoints[0].id}` };
  }

  async function send(ingestPath: string, body: object, headers: Record<string, string> = {}) {
    const response = await testApp.request().post(ingestPath).set(headers).send(body).expect(200);
    return response.body.eventId as string;
  }

  async function deliveriesOf(eventId: string): Promise<DeliveryBody[]> {
    return (await admin.apiKey.get(`/api/v1/events/${eventId}`).expect(200)).body.deliveries;
  }

  it('sends the transformed request, signed over the transformed body, with the event id as webhook-id', async () => {
    const { targets, ingestPath } = await webhookWith([
      {
        name: 'Orders',
        type: 'http',
        http: { url: `${sink.url}/hooks?tenant=7`, headers: { 'x-api-token': 't0k3n' } },
        transform: RESHAPE,
      },
    ]);
    const [target] = targets;
    expect(target.transform).toBe(RESHAPE);
    const eventId = await send(
      ingestPath,
      { type: 'order.paid', data: { id: 'o_42', amount: 12 } },
      { 'x-secret': 'do-not-forward', 'x-shop': 'berlin' },
    );
    const received = (await waitFor(() =>
      sink.requests.find((r) => r.url.startsWith('/hooks/orders/o_42')),
    ))!;
    expect(received.url).toBe('/hooks/orders/o_42?tenant=7&source=webhooker');
    expect(received.method).toBe('POST');
    expect(JSON.parse(received.body.toString())).toEqual({ order: 'o_42', cents: 1200 });
    expect(received.headers).toMatchObject({
      'content-type': 'application/json',
      'x-order': 'o_42',
      'x-shop': 'berlin',
      'x-api-token': 't0k3n',
      'webhook-id': eventId,
    });
    expect(received.headers['x-secret']).toBeUndefined();

    const secret = await withSql(testApp, async (sql) => {
      const { rows } = await sql.query(`SELECT signing_secrets FROM targets WHERE id = $1`, [target.id]);
      return rows[0].signing_secrets[0].secret as string;
    });
    expect(new StandardWebhook(secret).verify(received.body.toString(), signed(received))).toEqual({
      order: 'o_42',
      cents: 1200,
    });
    await waitFor(async () => (await deliveriesOf(eventId))[0]!.status === 'delivered');
  });

  it('gives the transform the whole body of a large event', async () => {
    const { ingestPath } = await webhookWith([
      {
        name: 'Large',
        type: 'http',
        http: { url: `${sink.url}/large` },
        transform:
          'function handler(r) { r.headers["x-items"] = String(r.body.items.length); r.body = { last: r.body.items.at(-1) }; return r; }',
      },
    ]);
    const items = Array.from({ length: 2000 }, (_, i) => `item-${i}`);
    await send(ingestPath, { items });
    const received = (await waitFor(() => sink.requests.find((r) => r.url === '/large')))!;
    expect(received.headers['x-items']).toBe('2000');
    expect(JSON.parse(received.body.toString())).toEqual({ last: 'item-1999' });
  });

  it('records a delivery whose transform returns null as skipped, without an attempt', async () => {
    const { targets, ingestPath } = await webhookWith([
      { name: 'Orders', type: 'http', http: { url: `${sink.url}/skip` }, transform: RESHAPE },
      { name: 'Audit', type: 'log' },
    ]);
    const eventId = await send(ingestPath, { type: 'ping' });
    const deliveries = await waitFor(async () => {
      const found = await deliveriesOf(eventId);
      return found.every((d) => d.status !== 'pending') ? found : undefined;
    });
    const skipped = deliveries!.find((d) => d.targetId === targets[0].id)!;
    expect(skipped).toMatchObject({ status: 'skipped', skipReason: 'transform', attemptCount: 0 });
    expect((await admin.apiKey.get(`/api/v1/deliveries/${skipped.id}/attempts`).expect(200)).body).toEqual(
      [],
    );
    expect(sink.requests.filter((r) => r.url === '/skip')).toEqual([]);
  });

  it('fails and retries the attempts of a looping and a memory-hungry transform while other targets get every event', async () => {
    const retries = { maxRetries: 3, maxBackoffMs: 1000 };
    const hostile = await webhookWith([
      {
        name: 'Looping',
        type: 'http',
        http: { url: `${sink.url}/looping`, ...retries },
        transform: 'function handler(r) { for (;;) {} }',
      },
      {
        name: 'Hungry',
        type: 'http',
        http: { url: `${sink.url}/hungry`, ...retries },
        transform: 'function handler(r) { const a = []; for (;;) a.push("x".repeat(1 << 20) + a.length); }',
      },
    ]);
    const healthy = await webhookWith([
      {
        name: 'Healthy',
        type: 'http',
        http: { url: `${sink.url}/healthy` },
        transform: 'function handler(r) { r.headers["x-n"] = String(r.body.n); return r; }',
      },
    ]);
    const hostileEvents: string[] = [];
    for (let n = 0; n < 4; n++) hostileEvents.push(await send(hostile.ingestPath, { n }));
    for (let n = 0; n < 30; n++) await send(healthy.ingestPath, { n });
    await waitFor(
      () => sink.requests.filter((r) => r.url === '/healthy').length === 30,
      30_000,
      "C's events",
    );
    const numbers = sink.requests.filter((r) => r.url === '/healthy').map((r) => Number(r.headers['x-n']));
    expect(numbers.sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, n) => n));

    const [looping, hungry] = hostile.targets;
    await waitFor(
      async () => {
        const deliveries = (await Promise.all(hostileEvents.map(deliveriesOf))).flat();
        return deliveries.every((d) => d.attemptCount >= 2);
      },
      30_000,
      'the hostile transforms to fail twice each',
    );
    const errors = await withSql(testApp, async (sql) => {
      const { rows } = await sql.query(
        `SELECT d.target_id, a.error FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id
         WHERE d.event_id = ANY($1::uuid[])`,
        [hostileEvents],
      );
      return rows as { target_id: string; error: string }[];
    });
    expect(new Set(errors.filter((e) => e.target_id === looping.id).map((e) => e.error))).toEqual(
      new Set(['transform: interrupted after 200 ms']),
    );
    for (const { error } of errors.filter((e) => e.target_id === hungry.id)) {
      expect(error).toMatch(/^transform: (interrupted after 200 ms|out of memory \(limit 16 MiB\))$/);
    }
    expect(sink.requests.filter((r) => r.url === '/looping' || r.url === '/hungry')).toEqual([]);
  }, 90_000);

  it('uses a changed transform for the next event', async () => {
    const { targets, ingestPath } = await webhookWith([
      {
        name: 'Versioned',
        type: 'http',
        http: { url: `${sink.url}/versioned` },
        transform: 'function handler(r) { r.headers["x-version"] = "1"; return r; }',
      },
    ]);
    await send(ingestPath, { n: 1 });
    await waitFor(() => sink.requests.find((r) => r.url === '/versioned'));
    await admin.apiKey
      .patch(`/api/v1/targets/${targets[0].id}`, {
        transform: 'function handler(r) { r.headers["x-version"] = "2"; return r; }',
      })
      .expect(200);
    await send(ingestPath, { n: 2 });
    const versions = await waitFor(() => {
      const found = sink.requests.filter((r) => r.url === '/versioned');
      return found.length === 2 && found.map((r) => r.headers['x-version']);
    });
    expect(versions).toEqual(['1', '2']);
    await admin.apiKey.patch(`/api/v1/targets/${targets[0].id}`, { transform: null }).expect(200);
    expect(
      (await admin.apiKey.get(`/api/v1/targets/${targets[0].id}`).expect(200)).body.transform,
    ).toBeNull();
  });

  it('refuses a transform that does not compile, and one on a target that sends no request', async () => {
    const { webhook, targets } = await webhookWith([
      { name: 'Orders', type: 'http', http: { url: `${sink.url}/x` } },
    ]);
    const syntax = await admin.apiKey
      .post(`/api/v1/webhooks/${webhook.id}/targets`, {
        name: 'Broken',
        type: 'http',
        http: { url: `${sink.url}/x` },
        transform: 'function handler(request) {\n  return request +;\n}',
      })
      .expect(400);
    expect(JSON.stringify(syntax.body)).toContain(
      "transform: SyntaxError: unexpected token in expression: ';' (line 2)",
    );
    const noHandler = await admin.apiKey
      .patch(`/api/v1/targets/${targets[0].id}`, { transform: 'const x = 1;' })
      .expect(400);
    expect(JSON.stringify(noHandler.body)).toContain('the transform must define function handler(request)');
    const log = await admin.apiKey
      .post(`/api/v1/webhooks/${webhook.id}/targets`, {
        name: 'Audit',
        type: 'log',
        transform: 'function handler(r) { return r; }',
      })
      .expect(400);
    expect(JSON.stringify(log.body)).toContain('transform is not allowed for a log target');
    const tooLong = await admin.apiKey
      .patch(`/api/v1/targets/${targets[0].id}`, { transform: 'x'.repeat(65_537) })
      .expect(400);
    expect(JSON.stringify(tooLong.body)).toContain('transform');
    expect(
      (await admin.apiKey.get(`/api/v1/targets/${targets[0].id}`).expect(200)).body.transform,
    ).toBeNull();
  });

  it('carries transforms through configuration as code: apply, export, plan without changes', async () => {
    const member = await createMember(testApp, admin, 'transforms-as-code');
    const transform = 'function handler(r) { r.headers["x-coded"] = "yes"; return r; }';
    const document = {
      version: 1,
      webhooks: [
        {
          key: 'coded',
          name: 'Coded',
          entrypoints: [{ key: 'in' }],
          targets: [
            { key: 'plain', name: 'Plain', type: 'http', http: { url: `${sink.url}/plain` } },
            { key: 'shaped', name: 'Shaped', type: 'http', http: { url: `${sink.url}/shaped` }, transform },
          ],
        },
      ],
    };
    const applied = await member.apiKey.post('/api/v1/config/apply', document);
    expect({ status: applied.status, body: applied.status === 200 ? null : applied.body }).toEqual({
      status: 200,
      body: null,
    });
    const exported = (await member.apiKey.get('/api/v1/config/export').expect(200)).body;
    const targets = exported.webhooks.find((w: { key: string }) => w.key === 'coded').targets;
    expect(targets.find((t: { key: string }) => t.key === 'plain').transform).toBeUndefined();
    expect(targets.find((t: { key: string }) => t.key === 'shaped').transform).toBe(transform);
    expect((await member.apiKey.post('/api/v1/config/plan', exported).expect(200)).body.changes).toEqual([]);

    const broken = structuredClone(document);
    broken.webhooks[0]!.targets[1]!.transform = 'function handler(r) {';
    const refused = await member.apiKey.post('/api/v1/config/apply', broken).expect(400);
    expect(JSON.stringify(refused.body)).toContain('transform: SyntaxError');
    const after = (await member.apiKey.get('/api/v1/config/export').expect(200)).body;
    expect(after.webhooks.find((w: { key: string }) => w.key === 'coded').targets[1].transform).toBe(
      transform,
    );
  });

  describe('preview', () => {
    it('previews a stored event, an inline sample and unsaved filter and transform, sending nothing', async () => {
      const { targets, ingestPath } = await webhookWith([
        {
          name: 'Orders',
          type: 'http',
          http: { url: `${sink.url}/preview` },
          transform: RESHAPE,
          filter: { body: { type: 'order.paid' } },
        },
      ]);
      const [target] = targets;
      const eventId = await send(ingestPath, { type: 'order.paid', data: { id: 'o_7', amount: 3 } });
      await waitFor(() => sink.requests.some((r) => r.url.startsWith('/preview/orders/o_7')));
      const before = sink.requests.length;

      const stored = await admin.apiKey.post(`/api/v1/targets/${target.id}/preview`, { eventId }).expect(200);
      expect(stored.body).toMatchObject({
        matched: true,
        skipped: false,
        skipReason: null,
        url: `${sink.url}/preview/orders/o_7?source=webhooker`,
        error: null,
        logs: [],
        request: {
          method: 'POST',
          path: '/preview/orders/o_7',
          query: 'source=webhooker',
          body: '{"order":"o_7","cents":300}',
        },
      });
      expect(stored.body.request.headers).toMatchObject({
        'content-type': 'application/json',
        'x-order': 'o_7',
      });
      expect(typeof stored.body.durationMs).toBe('number');

      const unmatched = await admin.apiKey
        .post(`/api/v1/targets/${target.id}/preview`, { request: { body: { type: 'order.refunded' } } })
        .expect(200);
      expect(unmatched.body).toMatchObject({
        matched: false,
        skipped: true,
        skipReason: 'filter',
        request: null,
      });

      const nulled = await admin.apiKey
        .post(`/api/v1/targets/${target.id}/preview`, { request: { body: { type: 'ping' } }, filter: null })
        .expect(200);
      expect(nulled.body).toMatchObject({
        matched: true,
        skipped: true,
        skipReason: 'transform',
        request: null,
      });

      const edited = await admin.apiKey
        .post(`/api/v1/targets/${target.id}/preview`, {
          request: {
            method: 'PUT',
            path: '/in',
            query: 'a=1',
            headers: { 'X-Shop': 'paris' },
            body: 'plain text',
          },
          filter: { headers: { 'x-shop': 'paris' } },
          transform:
            'function handler(r) {\n  console.log("shop", r.headers["x-shop"], r.query);\n  r.body = r.body.toUpperCase();\n  return r;\n}',
        })
        .expect(200);
      expect(edited.body).toMatchObject({
        matched: true,
        skipped: false,
        logs: ['shop paris {"a":"1"}'],
        request: { method: 'POST', path: '/preview', query: '', body: 'PLAIN TEXT' },
      });

      const failing = await admin.apiKey
        .post(`/api/v1/targets/${target.id}/preview`, {
          eventId,
          transform:
            'function handler(r) {\n  console.warn("about to fail");\n  return r.body.nope.deeper;\n}',
        })
        .expect(200);
      expect(failing.body).toMatchObject({
        matched: true,
        skipped: false,
        request: null,
        logs: ['[warn] about to fail'],
      });
      expect(failing.body.error).toMatch(/^TypeError: .* \(line 3\)$/);

      const broken = await admin.apiKey
        .post(`/api/v1/targets/${target.id}/preview`, { transform: 'function handler(r) {', filter: null })
        .expect(200);
      expect(broken.body.error).toMatch(/^SyntaxError: .*\(line 1\)$/);

      const withoutTransform = await admin.apiKey
        .post(`/api/v1/targets/${target.id}/preview`, { transform: null, filter: null })
        .expect(200);
      expect(withoutTransform.body.request).toMatchObject({ method: 'POST', path: '/preview' });
      expect(JSON.parse(withoutTransform.body.request.body)).toMatchObject({ type: 'webhooker.test' });

      await admin.apiKey
        .post(`/api/v1/targets/${target.id}/preview`, { eventId, request: { body: 'x' } })
        .expect(400);
      await admin.apiKey
        .post(`/api/v1/targets/${target.id}/preview`, { filter: { body: { $nope: 1 } } })
        .expect(400);
      expect(sink.requests.length).toBe(before);
    });

    it("answers 404 for another user's target and for an event of another webhook", async () => {
      const { targets } = await webhookWith([
        { name: 'Orders', type: 'http', http: { url: `${sink.url}/p` } },
      ]);
      const other = await webhookWith([{ name: 'Other', type: 'log' }]);
      const otherEvent = await send(other.ingestPath, { n: 1 });
      const member = await createMember(testApp, admin, `member-${Date.now()}`);
      await member.apiKey.post(`/api/v1/targets/${targets[0].id}/preview`, {}).expect(404);
      await member.apiKey.post(`/api/v1/targets/${targets[0].id}/test`, {}).expect(404);
      await admin.apiKey
        .post(`/api/v1/targets/${targets[0].id}/preview`, { eventId: otherEvent })
        .expect(404);
    });
  });

  describe('test send', () => {
    it('lets a user have two previews or test sends running at once, answers 429 beyond, and frees the slots as they end', async () => {
      const { targets } = await webhookWith([
        { name: 'Slow', type: 'http', http: { url: `${sink.url}/slow-test`, timeoutMs: 10_000 } },
      ]);
      sink.reply = (_n, request) =>
        request.url.startsWith('/slow-test') ? { status: 200, delayMs: 1_000 } : { status: 200 };
      try {
        const path = `/api/v1/targets/${targets[0].id}/test`;
        const running = [
          admin.apiKey.post(path, {}).then((r) => r),
          admin.apiKey.post(path, {}).then((r) => r),
        ];
        await waitFor(
          () => sink.requests.filter((r) => r.url.startsWith('/slow-test')).length === 2,
          5_000,
          'both test sends',
        );
        const refused = await admin.apiKey.post(`/api/v1/targets/${targets[0].id}/preview`, {});
        expect(refused.status).toBe(429);
        expect(refused.body.detail).toBe(
          'At most 2 previews or test sends may run at once; wait for one to finish',
        );
        expect((await Promise.all(running)).map((r) => r.status)).toEqual([200, 200]);
        await admin.apiKey.post(`/api/v1/targets/${targets[0].id}/preview`, {}).expect(200);
      } finally {
        sink.reply = () => ({ status: 200 });
      }
    });

    it('sends a test event now through filter and transform and records it as a test', async () => {
      const { targets } = await webhookWith([
        {
          name: 'Orders',
          type: 'http',
          http: { url: `${sink.url}/test-send`, maxRetries: 5 },
          transform: RESHAPE,
        },
      ]);
      const [target] = targets;
      sink.reply = (_n, request) =>
        request.url.startsWith('/test-send') ? { status: 202, body: 'accepted' } : { status: 200 };
      const sent = await admin.apiKey
        .post(`/api/v1/targets/${target.id}/test`, {
          request: { body: { type: 'order.paid', data: { id: 'o_9', amount: 1 } } },
        })
        .expect(200);
      sink.reply = () => ({ status: 200 });
      expect(sent.body).toMatchObject({
        status: 'delivered',
        skipReason: null,
        attempt: { statusCode: 202, responseExcerpt: 'accepted', error: null },
      });
      const received = sink.requests.find((r) => r.url.startsWith('/test-send/orders/o_9'))!;
      expect(received.headers['webhook-id']).toBe(sent.body.eventId);

      const event = (await admin.apiKey.get(`/api/v1/events/${sent.body.eventId}`).expect(200)).body;
      expect(event).toMatchObject({ test: true, deliveryCounts: { delivered: 1 } });
      expect(event.deliveries).toEqual([
        expect.objectContaining({
          id: sent.body.deliveryId,
          targetId: target.id,
          status: 'delivered',
          attemptCount: 1,
        }),
      ]);
      const attempts = (
        await admin.apiKey.get(`/api/v1/deliveries/${sent.body.deliveryId}/attempts`).expect(200)
      ).body;
      expect(attempts).toEqual([expect.objectContaining({ statusCode: 202, responseExcerpt: 'accepted' })]);

      const skipped = await admin.apiKey
        .post(`/api/v1/targets/${target.id}/test`, { request: { body: { type: 'ping' } } })
        .expect(200);
      expect(skipped.body).toMatchObject({ status: 'skipped', skipReason: 'transform', attempt: null });
    });

    it('copies a stored event, fails once without retrying, and refuses a paused target', async () => {
      const { targets, ingestPath } = await webhookWith([
        { name: 'Down', type: 'http', http: { url: `${sink.url}/down`, maxRetries: 5 } },
      ]);
      const [target] = targets;
      const eventId = await send(ingestPath, { hello: 'world' });
      await waitFor(() => sink.requests.some((r) => r.url === '/down'));
      sink.reply = (_n, request) =>
        request.url === '/down' ? { status: 500, body: 'boom' } : { status: 200 };
      const failed = await admin.apiKey.post(`/api/v1/targets/${target.id}/test`, { eventId }).expect(200);
      sink.reply = () => ({ status: 200 });
      expect(failed.body).toMatchObject({
        status: 'failed',
        attempt: { statusCode: 500, responseExcerpt: 'boom', error: 'HTTP 500' },
      });
      expect(failed.body.eventId).not.toBe(eventId);
      const copies = sink.requests.filter((r) => r.url === '/down').map((r) => JSON.parse(r.body.toString()));
      expect(copies).toEqual([{ hello: 'world' }, { hello: 'world' }]);
      const health = (await admin.apiKey.get(`/api/v1/targets/${target.id}`).expect(200)).body.circuit;
      expect(health.consecutiveFailures).toBe(0);

      await admin.apiKey.post(`/api/v1/targets/${target.id}/deactivate`).expect(200);
      const paused = await admin.apiKey.post(`/api/v1/targets/${target.id}/test`, {}).expect(409);
      expect(paused.body.detail).toContain('paused');
    });

    it('says so when the circuit is open instead of sending', async () => {
      const { targets } = await webhookWith([
        { name: 'Open', type: 'http', http: { url: `${sink.url}/open` } },
      ]);
      await withSql(testApp, (sql) =>
        sql.query(
          `UPDATE targets SET consecutive_failures = 5, circuit_open_until = now() + interval '1 minute' WHERE id = $1`,
          [targets[0].id],
        ),
      );
      const refused = await admin.apiKey.post(`/api/v1/targets/${targets[0].id}/test`, {}).expect(409);
      expect(refused.body.detail).toContain('circuit of this target is open');
      expect(sink.requests.filter((r) => r.url === '/open')).toEqual([]);
    });
  });
});
