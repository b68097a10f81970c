import { createHmac, randomBytes } from 'node:crypto';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { Client } from 'pg';
import { OPERATIONAL_EVENT, OperationalEvent } from '../src/common/operational-events';
import { CONFIG_CHANGED_EVENT } from '../src/database/config-change.listener';
import { DeliveryEngine } from '../src/delivery/delivery-engine';
import { TargetHealthService } from '../src/targets/target-health.service';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Sink, waitFor } from './sink';
import { ADMIN_PASSWORD, startTestApp, TestApp } from './test-app';

describe('ingest and delivery (real PostgreSQL, real HTTP sinks)', () => {
  let testApp: TestApp;
  let key: string;
  let db: Client;
  const sinks: Sink[] = [];

  const api = () => ({
    get: (path: string) => testApp.request().get(path).set('Authorization', `Bearer ${key}`),
    post: (path: string, body: object = {}) =>
      testApp.request().post(path).set('Authorization', `Bearer ${key}`).send(body),
    patch: (path: string, body: object) =>
      testApp.request().patch(path).set('Authorization', `Bearer ${key}`).send(body),
    delete: (path: string) => testApp.request().delete(path).set('Authorization', `Bearer ${key}`),
  });

  async function sink(): Promise<Sink> {
    const started = await Sink.start();
    sinks.push(started);
    return started;
  }

  async function webhookWith(targets: object[]) {
    const webhook = await api().post('/api/v1/webhooks', { name: 'test' }).expect(201);
    const created = [];
    for (const target of targets) {
      created.push(
        (await api().post(`/api/v1/webhooks/${webhook.body.id}/targets`, target).expect(201)).body,
      );
    }
    const entrypoint = webhook.body.entrypoints[0];
    return { webhook: webhook.body, entrypoint, ingestPath: `/webhook/${entrypoint.id}`, targets: created };
  }

  async function deliveryStatuses(eventId: string): Promise<string[]> {
    const { rows } = await db.query(`SELECT status FROM deliveries WHERE event_id = $1 ORDER BY created_at`, [
      eventId,
    ]);
    return rows.map((row) => row.status);
  }

  /**
   * Waits until no configuration change was announced for 300 ms (each API write announces its own
   * and, through PostgreSQL, again); `since()` then says how many were announced after that.
   */
  async function quietConfiguration(): Promise<{ since: () => number }> {
    const emitter = testApp.app.get(EventEmitter2);
    let lastAt = Date.now();
    let count = 0;
    const counted = () => {
      lastAt = Date.now();
      count++;
    };
    emitter.on(CONFIG_CHANGED_EVENT, counted);
    await waitFor(() => Date.now() - lastAt >= 300, 5000, 'no configuration change for 300 ms');
    const before = count;
    return {
      since: () => {
        emitter.off(CONFIG_CHANGED_EVENT, counted);
        return count - before;
      },
    };
  }

  beforeAll(async () => {
    testApp = await startTestApp({
      ALLOW_PRIVATE_TARGETS: 'true',
      SWEEP_INTERVAL_MS: '200',
      MAX_EVENT_BYTES: '200000',
    });
    const login = await testApp
      .request()
      .post('/api/v1/auth/login')
      .send({ username: 'admin', password: ADMIN_PASSWORD });
    const created = await testApp
      .request()
      .post('/api/v1/api-keys')
      .set('Cookie', login.headers['set-cookie'])
      .set('x-csrf-token', login.body.csrfToken)
      .send({ name: 'tests' })
      .expect(201);
    key = created.body.key;
    db = new Client({ connectionString: testApp.databaseUrl });
    await db.connect();
  });

  afterAll(async () => {
    await db.end();
    await testApp.close();
    await Promise.all(sinks.map((s) => s.stop()));
  });

  describe('ingest', () => {
    it('answers 200 with the event id only after the event and its deliveries are committed', async () => {
      const receiver = await sink();
      const { ingestPath, targets } = await webhookWith([
        { name: 'a', type: 'http', http: { url: `${receiver.url}/a` } },
        { name: 'b', type: 'log' },
      ]);
      const response = await testApp
        .request()
        .post(`${ingestPath}?source=test`)
        .send({ hello: 'world' })
        .expect(200);
      expect(response.body).toEqual({ status: 'ok', eventId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
      const { rows } = await db.query(
        `SELECT method, path, query, content_type, body FROM events WHERE id = $1`,
        [response.body.eventId],
      );
      expect(rows[0]).toMatchObject({
        method: 'POST',
        path: ingestPath,
        query: 'source=test',
        content_type: 'application/json',
      });
      expect(rows[0].body.toString()).toBe('{"hello":"world"}');
      const deliveries = await db.query(`SELECT target_id FROM deliveries WHERE event_id = $1`, [
        response.body.eventId,
      ]);
      expect(deliveries.rows.map((r) => r.target_id).sort()).toEqual(targets.map((t) => t.id).sort());
    });

    it('accepts the first events to a new entrypoint even when they arrive together', async () => {
      const receiver = await sink();
      for (let round = 0; round < 5; round++) {
        const { ingestPath } = await webhookWith([{ name: 'a', type: 'http', http: { url: receiver.url } }]);
        const statuses = await Promise.all(
          Array.from({ length: 5 }, async (_, n) => {
            const response = await fetch(`${testApp.url}${ingestPath}`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ round, n }),
            });
            await response.text();
            return response.status;
          }),
        );
        expect(statuses).toEqual([200, 200, 200, 200, 200]);
      }
    });

    it('accepts PUT and PATCH, refuses other methods with 405, unknown ids with 404', async () => {
      const { ingestPath } = await webhookWith([{ name: 'log', type: 'log' }]);
      await testApp.request().put(ingestPath).send('x').expect(200);
      await testApp.request().patch(ingestPath).send('x').expect(200);
      const get = await testApp.request().get(ingestPath).expect(405);
      expect(get.headers.allow).toBe('POST, PUT, PATCH');
      expect(get.headers['content-type']).toContain('application/problem+json');
      await testApp.request().delete(ingestPath).expect(405);
      const unknown = await testApp
        .request()
        .post('/webhook/7b0c2b5e-3f0a-4c1e-9a7e-0d6f1a2b3c4d')
        .send('x')
        .expect(404);
      expect(unknown.body.detail).toBe('No entrypoint 7b0c2b5e-3f0a-4c1e-9a7e-0d6f1a2b3c4d');
      await testApp.request().post('/webhook/not-a-uuid').send('x').expect(404);
    });

    it('answers 410 for an inactive entrypoint and for a deleted webhook, at once', async () => {
      const { ingestPath, entrypoint, webhook } = await webhookWith([{ name: 'log', type: 'log' }]);
      await testApp.request().post(ingestPath).send('x').expect(200);
      await api().patch(`/api/v1/entrypoints/${entrypoint.id}`, { active: false }).expect(200);
      const inactive = await testApp.request().post(ingestPath).send('x').expect(410);
      expect(inactive.body.detail).toBe(`Entrypoint ${entrypoint.id} is not active`);
      await api().patch(`/api/v1/entrypoints/${entrypoint.id}`, { active: true }).expect(200);
      await testApp.request().post(ingestPath).send('x').expect(200);
      await api().delete(`/api/v1/webhooks/${webhook.id}`).expect(204);
      const gone = await testApp.request().post(ingestPath).send('x').expect(410);
      expect(gone.body.detail).toBe(`Entrypoint ${entrypoint.id} has been deleted`);
    });

    it('drops its cached routes when any replica changes the configuration, also after losing its listener', async () => {
      const { ingestPath, entrypoint } = await webhookWith([{ name: 'log', type: 'log' }]);
      await testApp.request().post(ingestPath).send('x').expect(200);
      // Another replica (here: plain SQL) deactivates the entrypoint; the trigger notifies everyone.
      await db.query(`UPDATE entrypoints SET active = false WHERE id = $1`, [entrypoint.id]);
      await waitFor(
        async () => (await testApp.request().post(ingestPath).send('x')).status === 410,
        3000,
        '410',
      );

      await db.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = 'LISTEN webhooker_config' AND datname = current_database()`,
      );
      await db.query(`UPDATE entrypoints SET active = true WHERE id = $1`, [entrypoint.id]);
      await waitFor(
        async () => (await testApp.request().post(ingestPath).send('x')).status === 200,
        5000,
        '200',
      );
      await waitFor(
        async () =>
          (
            await db.query(
              `SELECT 1 FROM pg_stat_activity WHERE query = 'LISTEN webhooker_config' AND datname = current_database()`,
            )
          ).rowCount === 1,
        5000,
        'the listener to reconnect',
      );
      await db.query(`UPDATE entrypoints SET active = false WHERE id = $1`, [entrypoint.id]);
      await waitFor(
        async () => (await testApp.request().post(ingestPath).send('x')).status === 410,
        3000,
        '410 again',
      );
    });

    it('refuses a target that points back at one of its own entrypoints', async () => {
      const { webhook, entrypoint } = await webhookWith([]);
      const loop = await api()
        .post(`/api/v1/webhooks/${webhook.id}/targets`, {
          name: 'loop',
          type: 'http',
          http: { url: `${testApp.config.publicUrl}/webhook/${entrypoint.id}` },
        })
        .expect(400);
      expect(loop.body.errors).toEqual([
        {
          field: 'http.url',
          message: 'http.url must not be an entrypoint of this webhooker (events would loop)',
        },
      ]);
    });

    it('takes the source address from X-Forwarded-For only behind a trusted proxy, and only when it is an address', async () => {
      const proxied = await startTestApp({ TRUST_PROXY: 'true' });
      try {
        const login = await proxied
          .request()
          .post('/api/v1/auth/login')
          .send({ username: 'admin', password: ADMIN_PASSWORD });
        const session = (path: string) =>
          proxied
            .request()
            .post(path)
            .set('Cookie', login.headers['set-cookie'])
            .set('x-csrf-token', login.body.csrfToken);
        const webhook = (await session('/api/v1/webhooks').send({ name: 'proxied' }).expect(201)).body;
        const path = `/webhook/${webhook.entrypoints[0].id}`;
        const forwarded = (
          await proxied
            .request()
            .post(path)
            .set('x-forwarded-for', '203.0.113.7, 10.0.0.1')
            .send('x')
            .expect(200)
        ).body;
        const bogus = (
          await proxied.request().post(path).set('x-forwarded-for', 'x'.repeat(100)).send('x').expect(200)
        ).body;
        const sql = new Client({ connectionString: proxied.databaseUrl });
        await sql.connect();
        const { rows } = await sql.query(`SELECT id, source_ip FROM events WHERE id = ANY($1::uuid[])`, [
          [forwarded.eventId, bogus.eventId],
        ]);
        await sql.end();
        const byId = Object.fromEntries(rows.map((row) => [row.id, row.source_ip]));
        expect(byId[forwarded.eventId]).toBe('203.0.113.7');
        expect(byId[bogus.eventId]).toMatch(/127\.0\.0\.1/);
      } finally {
        await proxied.close();
      }
    });

    it('refuses a body over MAX_EVENT_BYTES with 413 and stores nothing', async () => {
      const { ingestPath, webhook } = await webhookWith([{ name: 'log', type: 'log' }]);
      const response = await testApp
        .request()
        .post(ingestPath)
        .set('content-type', 'application/octet-stream')
        .send(Buffer.alloc(200_001))
        .expect(413);
      expect(response.body.detail).toBe('The body is larger than 200000 bytes (MAX_EVENT_BYTES)');
      const { rows } = await db.query(`SELECT count(*)::int AS n FROM events WHERE webhook_id = $1`, [
        webhook.id,
      ]);
      expect(rows[0].n).toBe(0);
    });
  });

  describe('http delivery', () => {
    it('delivers JSON, form, binary and 100 KiB bodies byte for byte, signed per Standard Webhooks', async () => {
      const receiver = await sink();
      const { ingestPath, targets } = await webhookWith([
        {
          name: 'exact',
          type: 'http',
          http: { url: `${receiver.url}/hook?x=1`, headers: { 'x-extra': 'yes' } },
        },
      ]);
      const secret: string = targets[0].signingSecret;
      const bodies: [string, Buffer][] = [
        ['application/json', Buffer.from('{"amount": 42,  "currency":"EUR"}')],
        ['application/x-www-form-urlencoded', Buffer.from('a=1&b=%C3%A9t%C3%A9&c=')],
        ['application/octet-stream', randomBytes(3000)],
        ['text/plain; charset=utf-8', Buffer.from('é'.repeat(50 * 1024))],
      ];
      const eventIds: string[] = [];
      for (const [contentType, body] of bodies) {
        // fetch sends the bytes as they are (supertest would JSON-encode a Buffer)
        const response = await fetch(`${testApp.url}${ingestPath}`, {
          method: 'POST',
          headers: { 'content-type': contentType, 'x-sender': 'test-suite' },
          body: new Uint8Array(body),
        });
        expect(response.status).toBe(200);
        eventIds.push(((await response.json()) as { eventId: string }).eventId);
      }
      await waitFor(() => receiver.requests.length === 4, 10_000, 'four deliveries');
      const verifier = new StandardWebhook(secret);
      for (const [i, [contentType, body]] of bodies.entries()) {
        const received = receiver.requests.find((r) => r.headers['webhook-id'] === eventIds[i])!;
        expect(received.method).toBe('POST');
        expect(received.url).toBe('/hook?x=1');
        expect(received.headers['content-type']).toBe(contentType);
        expect(received.headers['x-sender']).toBe('test-suite');
        expect(received.headers['x-extra']).toBe('yes');
        expect(received.body.equals(body)).toBe(true);
        if (Buffer.from(body.toString('utf8')).equals(body)) {
          expect(() =>
            verifier.verify(received.body, received.headers as Record<string, string>, { jsonParse: false }),
          ).not.toThrow();
        } else {
          // standardwebhooks decodes a Buffer as UTF-8, so binary bodies are checked by hand
          const signed = Buffer.concat([
            Buffer.from(`${received.headers['webhook-id']}.${received.headers['webhook-timestamp']}.`),
            received.body,
          ]);
          const expected = createHmac('sha256', Buffer.from(secret.slice(6), 'base64'))
            .update(signed)
            .digest('base64');
          expect(received.headers['webhook-signature']).toBe(`v1,${expected}`);
        }
      }
      expect(bodies[3]![1].length).toBeGreaterThanOrEqual(100 * 1024);
      await waitFor(async () => (await deliveryStatuses(eventIds[3]!))[0] === 'delivered', 5000, 'delivered');
    });

    it('fans out to http, database and log targets; a slow target does not hold up a fast one', async () => {
      const slow = await sink();
      slow.reply = () => ({ status: 200, delayMs: 2000 });
      const fast = await sink();
      const { ingestPath, targets } = await webhookWith([
        { name: 'slow', type: 'http', http: { url: slow.url } },
        { name: 'fast', type: 'http', http: { url: fast.url } },
        { name: 'archive', type: 'database' },
        { name: 'log', type: 'log' },
      ]);
      const response = await testApp.request().post(ingestPath).send({ n: 1 }).expect(200);
      const eventId = response.body.eventId;
      await waitFor(() => fast.requests.length === 1, 5000, 'the fast target');
      await waitFor(
        async () => (await deliveryStatuses(eventId)).filter((s) => s === 'delivered').length === 3,
        5000,
        'three delivered',
      );
      expect(slow.requests).toHaveLength(1);
      const slowAnswersAt = slow.requests[0]!.receivedAt + 2000;
      expect(fast.requests[0]!.receivedAt).toBeLessThan(slowAnswersAt);
      const statusOf = async () => {
        const { rows } = await db.query(`SELECT target_id, status FROM deliveries WHERE event_id = $1`, [
          eventId,
        ]);
        return Object.fromEntries(rows.map((r) => [r.target_id, r.status]));
      };
      expect((await statusOf())[targets[0].id]).toBe('pending');
      await waitFor(async () => (await statusOf())[targets[0].id] === 'delivered', 5000, 'the slow target');
      const archived = await db.query(`SELECT body, target_id FROM archived_events WHERE event_id = $1`, [
        eventId,
      ]);
      expect(archived.rows).toHaveLength(1);
      expect(archived.rows[0].target_id).toBe(targets[2].id);
      expect(archived.rows[0].body.toString()).toBe('{"n":1}');
    });

    it("sends a target header instead of the sender's header of that name, whatever its case", async () => {
      const receiver = await sink();
      const { ingestPath, targets } = await webhookWith([
        {
          name: 'headers',
          type: 'http',
          http: { url: receiver.url, headers: { 'X-Tenant': 'from-target' } },
        },
      ]);
      expect(targets[0].http.headers).toEqual({ 'x-tenant': 'from-target' });
      await testApp
        .request()
        .post(ingestPath)
        .set('x-tenant', 'from-sender')
        .set('accept-encoding', 'gzip, br')
        .send({ n: 1 })
        .expect(200);
      await waitFor(() => receiver.requests.length === 1, 5000, 'the delivery');
      expect(receiver.requests[0]!.headers['x-tenant']).toBe('from-target');
      expect(receiver.requests[0]!.headers['accept-encoding'] ?? '').not.toContain('gzip');
      const twice = await api()
        .post(`/api/v1/webhooks/${targets[0].webhookId}/targets`, {
          name: 'twice',
          type: 'http',
          http: { url: receiver.url, headers: { 'X-A': '1', 'x-a': '2' } },
        })
        .expect(400);
      expect(twice.body.errors[0].message).toContain('twice');
    });

    it('a database target archives an event once, however often the delivery is made', async () => {
      const { ingestPath } = await webhookWith([{ name: 'archive', type: 'database' }]);
      const { eventId } = (await testApp.request().post(ingestPath).send({ n: 1 }).expect(200)).body;
      await waitFor(async () => (await deliveryStatuses(eventId))[0] === 'delivered', 5000, 'delivered');
      const { rows } = await db.query(`SELECT id FROM deliveries WHERE event_id = $1`, [eventId]);
      await api().post(`/api/v1/deliveries/${rows[0].id}/replay`).expect(200);
      await waitFor(
        async () =>
          (await db.query(`SELECT attempt_count FROM deliveries WHERE event_id = $1`, [eventId])).rows[0]
            .attempt_count === 2,
        5000,
        'the second delivery',
      );
      const archived = await db.query(`SELECT count(*)::int AS n FROM archived_events WHERE event_id = $1`, [
        eventId,
      ]);
      expect(archived.rows[0].n).toBe(1);
    });

    it('does not fan out again an event that this webhooker sent itself (a loop through another address)', async () => {
      const { webhook, entrypoint, ingestPath } = await webhookWith([]);
      await api()
        .post(`/api/v1/webhooks/${webhook.id}/targets`, {
          name: 'itself',
          type: 'http',
          http: { url: `${testApp.url}/webhook/${entrypoint.id}`, maxRetries: 0 },
        })
        .expect(201);
      const { eventId } = (await testApp.request().post(ingestPath).send({ n: 1 }).expect(200)).body;
      await waitFor(async () => (await deliveryStatuses(eventId))[0] === 'delivered', 5000, 'delivered');
      await new Promise((resolve) => setTimeout(resolve, 500));
      const { rows: events } = await db.query(
        `SELECT e.id, e.headers, count(d.id)::int AS deliveries FROM events e
         LEFT JOIN deliveries d ON d.event_id = e.id WHERE e.webhook_id = $1 GROUP BY e.id ORDER BY e.received_at`,
        [webhook.id],
      );
      expect(events).toHaveLength(2);
      expect(events[0]).toMatchObject({ id: eventId, deliveries: 1 });
      expect(events[1].deliveries).toBe(0);
      expect(events[1].headers['webhook-id']).toBe(eventId);
      expect(events[1].headers['webhooker-installation']).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('a 429 with Retry-After slows its target to one attempt a second until the window passes', async () => {
      const busy = await sink();
      busy.reply = (n) => (n === 1 ? { status: 429, headers: { 'retry-after': '3' } } : { status: 200 });
      const { ingestPath } = await webhookWith([
        { name: 'busy', type: 'http', http: { url: busy.url, concurrency: 1 } },
      ]);
      await testApp.request().post(ingestPath).send({ n: 0 }).expect(200);
      await waitFor(() => busy.requests.length === 1, 5000, 'the 429');
      for (let n = 1; n <= 4; n++) await testApp.request().post(ingestPath).send({ n }).expect(200);
      await waitFor(() => busy.requests.length === 6, 10_000, 'every delivery and the retry');
      const times = busy.requests.map((r) => r.receivedAt);
      const gaps = times.slice(2, 5).map((t, i) => t - times[i + 1]!);
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(900);
    });

    it('retries a failing receiver with backoff: 3 failures then success is 4 attempts and delivered', async () => {
      const flaky = await sink();
      flaky.reply = (n) => (n <= 3 ? { status: 500, body: `failure ${n}` } : { status: 200, body: 'ok' });
      const { ingestPath } = await webhookWith([{ name: 'flaky', type: 'http', http: { url: flaky.url } }]);
      const { eventId } = (await testApp.request().post(ingestPath).send({ n: 2 }).expect(200)).body;
      await waitFor(async () => (await deliveryStatuses(eventId))[0] === 'delivered', 20_000, 'delivered');
      const event = await api().get(`/api/v1/events/${eventId}`).expect(200);
      const delivery = event.body.deliveries[0];
      expect(delivery).toMatchObject({
        status: 'delivered',
        attemptCount: 4,
        lastStatusCode: 200,
        lastError: null,
      });
      const attempts = (await api().get(`/api/v1/deliveries/${delivery.id}/attempts`).expect(200)).body;
      expect(attempts.map((a: { statusCode: number }) => a.statusCode)).toEqual([500, 500, 500, 200]);
      expect(attempts.map((a: { attemptNumber: number }) => a.attemptNumber)).toEqual([1, 2, 3, 4]);
      expect(attempts[0]).toMatchObject({ responseExcerpt: 'failure 1', error: 'HTTP 500' });
      const gaps = flaky.requests.slice(1).map((r, i) => r.receivedAt - flaky.requests[i]!.receivedAt);
      gaps.forEach((gap, i) => expect(gap).toBeGreaterThanOrEqual(0.8 * 1000 * 2 ** i - 50));
      expect(new Set(flaky.requests.map((r) => r.headers['webhook-id']))).toEqual(new Set([eventId]));
    });

    it('fire-and-forget (maxRetries 0) fails after one attempt; replay delivers it', async () => {
      const down = await sink();
      down.reply = () => ({ status: 503 });
      const { ingestPath, targets } = await webhookWith([
        { name: 'once', type: 'http', http: { url: down.url, maxRetries: 0 } },
      ]);
      const { eventId } = (await testApp.request().post(ingestPath).send({ n: 3 }).expect(200)).body;
      await waitFor(async () => (await deliveryStatuses(eventId))[0] === 'failed', 5000, 'failed');
      expect(down.requests).toHaveLength(1);
      const failed = await api().get(`/api/v1/targets/${targets[0].id}/deliveries?status=failed`).expect(200);
      expect(failed.body.items).toHaveLength(1);
      expect(failed.body.items[0]).toMatchObject({ status: 'failed', attemptCount: 1, lastStatusCode: 503 });

      down.reply = () => ({ status: 204 });
      const replayed = await api().post(`/api/v1/deliveries/${failed.body.items[0].id}/replay`).expect(200);
      expect(replayed.body.status).toBe('pending');
      await waitFor(async () => (await deliveryStatuses(eventId))[0] === 'delivered', 5000, 'delivered');
      expect(down.requests).toHaveLength(2);
      const attempts = (await api().get(`/api/v1/deliveries/${failed.body.items[0].id}/attempts`).expect(200))
        .body;
      expect(attempts.map((a: { statusCode: number }) => a.statusCode)).toEqual([503, 204]);
      await api().post(`/api/v1/deliveries/${failed.body.items[0].id}/replay`).expect(200);
      await waitFor(() => down.requests.length === 3, 5000, 'a resend of a delivered delivery');
    });

    it('replays all failed deliveries of a target, and a whole event to the current targets', async () => {
      const receiver = await sink();
      receiver.reply = () => ({ status: 500 });
      const { ingestPath, targets, webhook } = await webhookWith([
        { name: 'once', type: 'http', http: { url: receiver.url, maxRetries: 0 } },
      ]);
      const ids: string[] = [];
      for (let n = 0; n < 3; n++)
        ids.push((await testApp.request().post(ingestPath).send({ n }).expect(200)).body.eventId);
      await waitFor(
        async () => {
          const { rows } = await db.query(
            `SELECT count(*)::int AS n FROM deliveries WHERE target_id = $1 AND status = 'failed'`,
            [targets[0].id],
          );
          return rows[0].n === 3;
        },
        5000,
        'three failed',
      );
      receiver.reply = () => ({ status: 200 });
      const bulk = await api().post(`/api/v1/targets/${targets[0].id}/replay-failed`).expect(200);
      expect(bulk.body).toEqual({ replayed: 3 });
      await waitFor(
        async () => {
          const { rows } = await db.query(
            `SELECT count(*)::int AS n FROM deliveries WHERE target_id = $1 AND status = 'delivered'`,
            [targets[0].id],
          );
          return rows[0].n === 3;
        },
        5000,
        'three delivered',
      );

      const second = await api()
        .post(`/api/v1/webhooks/${webhook.id}/targets`, { name: 'log', type: 'log' })
        .expect(201);
      const replay = await api().post(`/api/v1/events/${ids[0]}/replay`).expect(200);
      expect(replay.body.map((d: { targetId: string }) => d.targetId).sort()).toEqual(
        [targets[0].id, second.body.id].sort(),
      );
      await waitFor(
        async () =>
          (await deliveryStatuses(ids[0]!)).every((s) => s === 'delivered') &&
          (await deliveryStatuses(ids[0]!)).length === 3,
        5000,
        'replayed event delivered',
      );
    });

    it('pauses a deactivated target without loss: waiting and new events are kept, then delivered once, in order', async () => {
      const slow = await sink();
      slow.reply = () => ({ status: 200, delayMs: 300 });
      const { ingestPath, targets } = await webhookWith([
        { name: 'one at a time', type: 'http', http: { url: slow.url, concurrency: 1 } },
      ]);
      const target = targets[0].id;
      const ids: string[] = [];
      for (let n = 0; n < 5; n++)
        ids.push((await testApp.request().post(ingestPath).send({ n }).expect(200)).body.eventId);
      await waitFor(() => slow.requests.length === 1, 5000, 'the first attempt');
      await api().post(`/api/v1/targets/${target}/deactivate`).expect(200);
      for (let n = 5; n < 10; n++)
        ids.push((await testApp.request().post(ingestPath).send({ n }).expect(200)).body.eventId);
      const statuses = async () => (await Promise.all(ids.map(deliveryStatuses))).map((s) => s[0]);
      await waitFor(
        async () => (await statuses()).every((s) => s === 'delivered' || s === 'paused'),
        5000,
        'all delivered or paused',
      );
      await new Promise((resolve) => setTimeout(resolve, 500));
      const sentWhilePaused = slow.requests.length;
      expect(sentWhilePaused).toBeLessThanOrEqual(2);
      const paused = (await statuses()).filter((s) => s === 'paused').length;
      expect(paused).toBe(10 - sentWhilePaused);
      const shown = await api().get(`/api/v1/targets/${target}`).expect(200);
      expect(shown.body).toMatchObject({ active: false, pausedDeliveries: paused, disabledReason: null });

      await api().post(`/api/v1/targets/${target}/activate`).expect(200);
      await waitFor(
        async () => (await statuses()).every((s) => s === 'delivered'),
        10_000,
        'all delivered after the resume',
      );
      const received = slow.requests.map((r) => r.headers['webhook-id']);
      expect(received).toEqual(ids);
      const afterResume = await api().get(`/api/v1/targets/${target}`).expect(200);
      expect(afterResume.body.pausedDeliveries).toBe(0);
    });

    it('keeps delivering to a target first seen while a refresh of the targets was under way', async () => {
      // A target the engine knows already, so a refresh has one to ask about.
      const earlier = await sink();
      const known = await webhookWith([{ name: 'known', type: 'http', http: { url: earlier.url } }]);
      await testApp.request().post(known.ingestPath).send({}).expect(200);
      await waitFor(() => earlier.requests.length === 1, 5000, 'the delivery to the known target');
      const slow = await sink();
      slow.reply = () => ({ status: 200, delayMs: 200 });
      const { ingestPath, targets } = await webhookWith([
        { name: 'new', type: 'http', http: { url: slow.url, concurrency: 1 } },
      ]);
      // Those calls announced configuration changes: one during the refresh below would start a
      // newer refresh, which overtakes it.
      const changes = await quietConfiguration();

      // The refresh's query is answered only once the new target's events are in (as a slow query).
      const health = testApp.app.get(TargetHealthService);
      const query = health.snapshots.bind(health);
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      const askedFor: string[][] = [];
      const slowQuery = jest.spyOn(health, 'snapshots').mockImplementationOnce(async (ids) => {
        askedFor.push(ids);
        const snapshots = await query(ids);
        await released;
        return snapshots;
      });
      const refreshing = testApp.app.get(DeliveryEngine).refreshTargets();
      const ids: string[] = [];
      for (let n = 0; n < 3; n++)
        ids.push((await testApp.request().post(ingestPath).send({ n }).expect(200)).body.eventId);
      release();
      await refreshing;
      slowQuery.mockRestore();
      expect(askedFor).toHaveLength(1);
      expect(askedFor[0]).not.toContain(targets[0].id);
      expect(changes.since()).toBe(0);

      await waitFor(() => slow.requests.length === 3, 5000, 'the three deliveries');
      expect(slow.requests.map((r) => r.headers['webhook-id'])).toEqual(ids);
      await waitFor(
        async () => (await Promise.all(ids.map(deliveryStatuses))).flat().every((s) => s === 'delivered'),
        5000,
        'the three delivered',
      );
    });

    it('auto-disable (410 Gone) pauses the target and keeps its waiting work; activating resumes it', async () => {
      const receiver = await sink();
      receiver.reply = (n) => (n === 1 ? { status: 410 } : { status: 200 });
      const { ingestPath, targets } = await webhookWith([
        { name: 'gone for now', type: 'http', http: { url: receiver.url, concurrency: 1 } },
      ]);
      const first = (await testApp.request().post(ingestPath).send({ n: 0 }).expect(200)).body.eventId;
      await waitFor(async () => (await deliveryStatuses(first))[0] === 'failed', 5000, 'the 410');
      const later: string[] = [];
      for (let n = 1; n <= 3; n++)
        later.push((await testApp.request().post(ingestPath).send({ n }).expect(200)).body.eventId);
      const disabled = await api().get(`/api/v1/targets/${targets[0].id}`).expect(200);
      expect(disabled.body).toMatchObject({
        active: false,
        disabledReason: 'the receiver answered 410 Gone',
        disabledAt: expect.any(String),
        pausedDeliveries: 3,
      });
      expect(receiver.requests).toHaveLength(1);
      await api().post(`/api/v1/targets/${targets[0].id}/activate`).expect(200);
      await waitFor(
        async () => (await Promise.all(later.map(deliveryStatuses))).every((s) => s[0] === 'delivered'),
        5000,
        'the paused deliveries',
      );
      expect(receiver.requests.slice(1).map((r) => r.headers['webhook-id'])).toEqual(later);
    });

    it('answers 410 Gone by disabling the target', async () => {
      const gone = await sink();
      gone.reply = () => ({ status: 410 });
      const { ingestPath, targets } = await webhookWith([
        { name: 'gone', type: 'http', http: { url: gone.url } },
      ]);
      const { eventId } = (await testApp.request().post(ingestPath).send({}).expect(200)).body;
      await waitFor(async () => (await deliveryStatuses(eventId))[0] === 'failed', 5000, 'failed');
      const target = await api().get(`/api/v1/targets/${targets[0].id}`).expect(200);
      expect(target.body).toMatchObject({ active: false, disabledReason: 'the receiver answered 410 Gone' });
      const replayWhileOff = await api().post(`/api/v1/targets/${targets[0].id}/replay-failed`).expect(200);
      expect(replayWhileOff.body.replayed).toBe(1);
      expect(await deliveryStatuses(eventId)).toEqual(['paused']);
      const activated = await api().post(`/api/v1/targets/${targets[0].id}/activate`).expect(200);
      expect(activated.body).toMatchObject({
        active: true,
        disabledReason: null,
        circuit: { state: 'closed', consecutiveFailures: 0, failingSince: null },
      });
    });

    it('opens the circuit after 5 failures in a row: no attempts while open, no retry spent', async () => {
      const broken = await sink();
      broken.reply = () => ({ status: 500 });
      const operational: OperationalEvent[] = [];
      testApp.app
        .get(EventEmitter2)
        .on(OPERATIONAL_EVENT, (event: OperationalEvent) => operational.push(event));
      const { ingestPath, targets } = await webhookWith([
        { name: 'broken', type: 'http', http: { url: broken.url, maxRetries: 3, concurrency: 1 } },
      ]);
      for (let n = 0; n < 6; n++) await testApp.request().post(ingestPath).send({ n }).expect(200);
      await waitFor(
        async () => {
          const { rows } = await db.query(`SELECT circuit_open_until FROM targets WHERE id = $1`, [
            targets[0].id,
          ]);
          return rows[0].circuit_open_until !== null;
        },
        10_000,
        'the circuit to open',
      );
      const { rows } = await db.query(
        `SELECT consecutive_failures, circuit_open_until FROM targets WHERE id = $1`,
        [targets[0].id],
      );
      expect(rows[0].consecutive_failures).toBe(5);
      const shown = await api().get(`/api/v1/targets/${targets[0].id}`).expect(200);
      expect(shown.body.circuit).toMatchObject({ state: 'open', consecutiveFailures: 5 });
      const attemptsWhenOpened = broken.requests.length;
      expect(attemptsWhenOpened).toBe(5);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(broken.requests).toHaveLength(attemptsWhenOpened);
      const pending = await db.query(
        `SELECT status, attempt_count, next_attempt_at FROM deliveries WHERE target_id = $1 AND status IN ('pending', 'retrying')`,
        [targets[0].id],
      );
      expect(pending.rows.length).toBeGreaterThan(0);
      for (const row of pending.rows) {
        expect(row.next_attempt_at.getTime()).toBeGreaterThanOrEqual(
          rows[0].circuit_open_until.getTime() - 1,
        );
        expect(row.attempt_count).toBeLessThanOrEqual(3);
      }
      const circuitEvents = operational.filter((e) => e.data.targetId === targets[0].id);
      expect(circuitEvents).toEqual([
        expect.objectContaining({
          type: 'target.circuit_opened',
          webhookId: targets[0].webhookId,
          data: expect.objectContaining({ consecutiveFailures: 5 }),
        }),
      ]);
    });
  });
});
