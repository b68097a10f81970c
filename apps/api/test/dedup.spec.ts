import { Client } from 'pg';
import { DedupKeyCleanupJob } from '../src/entrypoints/dedup-key-cleanup.job';
import { MAX_DEDUP_KEY_LENGTH } from '../src/ingest/dedup-key';
import { CapturedRequest, EventRefusedError, IngestService } from '../src/ingest/ingest.service';
import { RouteCache } from '../src/ingest/route-cache';
import { asUser, TestUser } from './fixtures';
import { Sink, waitFor } from './sink';
import { ADMIN_PASSWORD, startTestApp, TestApp } from './test-app';

interface Answer {
  status: number;
  eventId: string;
  duplicate: boolean;
}

describe('deduplication per entrypoint (real PostgreSQL, real HTTP)', () => {
  let testApp: TestApp;
  let admin: TestUser;
  let db: Client;
  let sink: Sink;

  beforeAll(async () => {
    testApp = await startTestApp({ ALLOW_PRIVATE_TARGETS: 'true' });
    admin = await asUser(testApp, 'admin', ADMIN_PASSWORD);
    db = new Client({ connectionString: testApp.databaseUrl });
    await db.connect();
    sink = await Sink.start();
  });

  afterAll(async () => {
    await db.end();
    await sink.stop();
    await testApp.close();
  });

  /** A webhook with one http target to the sink, its entrypoint set to `dedup`. */
  async function entrypointWith(dedup: object | null) {
    const webhook = await admin.apiKey.post('/api/v1/webhooks', { name: 'dedup' }).expect(201);
    await admin.apiKey
      .post(`/api/v1/webhooks/${webhook.body.id}/targets`, {
        name: 'sink',
        type: 'http',
        http: { url: sink.url },
      })
      .expect(201);
    const id = webhook.body.entrypoints[0].id as string;
    await admin.apiKey.patch(`/api/v1/entrypoints/${id}`, { dedup }).expect(200);
    return { id, path: `/webhook/${id}` };
  }

  async function send(
    path: string,
    body: string | object,
    headers: Record<string, string> = {},
  ): Promise<Answer> {
    const request = testApp.request().post(path).set(headers);
    if (typeof body === 'string') request.set('content-type', 'application/json');
    const response = await request.send(body);
    expect(response.body).toEqual({ status: 'ok', eventId: expect.any(String) });
    return {
      status: response.status,
      eventId: response.body.eventId,
      duplicate: response.headers['webhooker-duplicate'] === 'true',
    };
  }

  async function stored(entrypointId: string): Promise<{ events: number; deliveries: number }> {
    const { rows } = await db.query(
      `SELECT (SELECT count(*) FROM events WHERE entrypoint_id = $1)::int AS events,
              (SELECT count(*) FROM deliveries d JOIN events e ON e.id = d.event_id WHERE e.entrypoint_id = $1)::int AS deliveries`,
      [entrypointId],
    );
    return rows[0];
  }

  const delivered = (eventId: string) => sink.requests.filter((r) => r.headers['webhook-id'] === eventId);

  async function duplicatesMetric(): Promise<number> {
    const text = (await testApp.request().get('/metrics').expect(200)).text;
    return Number(/^webhooker_duplicates_received_total (\d+)$/m.exec(text)![1]);
  }

  describe('API', () => {
    it('stores a header setting (lower-case, default window) and shows it with the duplicate count', async () => {
      const webhook = await admin.apiKey.post('/api/v1/webhooks', { name: 'settings' }).expect(201);
      const created = await admin.apiKey
        .post(`/api/v1/webhooks/${webhook.body.id}/entrypoints`, { dedup: { header: 'X-GitHub-Delivery' } })
        .expect(201);
      expect(created.body).toMatchObject({
        dedup: { header: 'x-github-delivery', jsonPath: null, windowSeconds: 86_400 },
        duplicateCount: 0,
      });
      const changed = await admin.apiKey
        .patch(`/api/v1/entrypoints/${created.body.id}`, {
          dedup: { jsonPath: '$.data[0].id', windowSeconds: 3600 },
        })
        .expect(200);
      expect(changed.body.dedup).toEqual({ header: null, jsonPath: '$.data[0].id', windowSeconds: 3600 });
      const described = await admin.apiKey.patch(`/api/v1/entrypoints/${created.body.id}`, {
        description: 'x',
      });
      expect(described.body.dedup).toEqual(changed.body.dedup);
      const off = await admin.apiKey
        .patch(`/api/v1/entrypoints/${created.body.id}`, { dedup: null })
        .expect(200);
      expect(off.body).toMatchObject({ dedup: null, duplicateCount: 0 });
      const fresh = await admin.apiKey.get(`/api/v1/webhooks/${webhook.body.id}`).expect(200);
      expect(fresh.body.entrypoints[0]).toMatchObject({ dedup: null, duplicateCount: 0 });
    });

    it.each([
      [{ header: 'x-a', jsonPath: '$.id' }, 'dedup', 'exactly one of header and jsonPath'],
      [{ windowSeconds: 600 }, 'dedup', 'exactly one of header and jsonPath'],
      [{ header: 'bad header' }, 'dedup.header', 'HTTP header name'],
      [{ header: 'x'.repeat(101) }, 'dedup.header', 'HTTP header name'],
      [{ jsonPath: 'id' }, 'dedup.jsonPath', '$ followed by .name or [index] steps'],
      [{ jsonPath: '$' }, 'dedup.jsonPath', '$ followed by .name or [index] steps'],
      [{ jsonPath: "$['id']" }, 'dedup.jsonPath', '$ followed by .name or [index] steps'],
      [{ jsonPath: `$${'.abcdefghij'.repeat(19)}` }, 'dedup.jsonPath', 'must be at most 200 characters long'],
      [{ header: 'x-id', windowSeconds: 59 }, 'dedup.windowSeconds', 'must be at least 60'],
      [{ header: 'x-id', windowSeconds: 30 * 86_400 + 1 }, 'dedup.windowSeconds', 'must be at most 2592000'],
      [{ header: 'x-id', windowSeconds: 90.5 }, 'dedup.windowSeconds', 'must be a whole number'],
      ['x-id', 'dedup', 'object'],
    ])('refuses dedup %j with 400 naming %s', async (dedup, field, message) => {
      const { id } = await entrypointWith(null);
      const response = await admin.apiKey.patch(`/api/v1/entrypoints/${id}`, { dedup }).expect(400);
      expect(response.body.errors).toEqual([{ field, message: expect.stringContaining(message) }]);
      const unchanged = await admin.apiKey.get(`/api/v1/entrypoints/${id}`).expect(200);
      expect(unchanged.body.dedup).toBeNull();
    });
  });

  describe('ingest', () => {
    it('answers a duplicate header key with the first event id, stores and delivers it once, and counts it', async () => {
      const { id, path } = await entrypointWith({ header: 'X-GitHub-Delivery' });
      const metricBefore = await duplicatesMetric();
      const headers = { 'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958' };
      const first = await send(path, { action: 'opened' }, headers);
      const second = await send(path, { action: 'opened', retried: true }, headers);
      expect(first).toEqual({ status: 200, eventId: expect.any(String), duplicate: false });
      expect(second).toEqual({ status: 200, eventId: first.eventId, duplicate: true });
      const other = await send(path, { action: 'closed' }, { 'x-github-delivery': 'another-delivery' });
      expect(other.duplicate).toBe(false);
      expect(other.eventId).not.toBe(first.eventId);

      await waitFor(() => delivered(first.eventId).length === 1 && delivered(other.eventId).length === 1);
      expect(delivered(first.eventId)[0]!.body.toString()).toBe('{"action":"opened"}');
      expect(await stored(id)).toEqual({ events: 2, deliveries: 2 });
      const entrypoint = await admin.apiKey.get(`/api/v1/entrypoints/${id}`).expect(200);
      expect(entrypoint.body.duplicateCount).toBe(1);
      expect(await duplicatesMetric()).toBe(metricBefore + 1);
    });

    it('reads a key at a JSON path (string or number); a body without one goes through as usual', async () => {
      const { id, path } = await entrypointWith({ jsonPath: '$.data.object.id' });
      const stripe = (objectId: unknown) =>
        JSON.stringify({ id: 'evt_1', data: { object: { id: objectId } } });
      const first = await send(path, stripe('in_123'));
      expect(await send(path, stripe('in_123'))).toEqual({ ...first, duplicate: true });
      const numbered = await send(path, stripe(42));
      expect(await send(path, stripe(42))).toEqual({ ...numbered, duplicate: true });
      expect(numbered.eventId).not.toBe(first.eventId);

      const keyless = [
        'not json at all',
        '{"data":{"object":{}}}',
        '{"data":{"object":{"id":null}}}',
        '{"data":{"object":{"id":{"nested":true}}}}',
        '{"data":{"object":{"id":""}}}',
        '[1,2,3]',
      ];
      for (const body of [...keyless, ...keyless]) {
        expect(await send(path, body)).toMatchObject({ status: 200, duplicate: false });
      }
      expect(await stored(id)).toEqual({
        events: 2 + keyless.length * 2,
        deliveries: 2 + keyless.length * 2,
      });
    });

    it('follows array indices in the path', async () => {
      const { path } = await entrypointWith({ jsonPath: '$.events[1].id' });
      const body = JSON.stringify({ events: [{ id: 'a' }, { id: 'b' }] });
      const first = await send(path, body);
      expect(await send(path, body)).toEqual({ ...first, duplicate: true });
      const other = await send(path, JSON.stringify({ events: [{ id: 'b' }, { id: 'a' }] }));
      expect(other.duplicate).toBe(false);
    });

    it('keeps long keys apart: a key over the cap is stored as its hash', async () => {
      const { id, path } = await entrypointWith({ header: 'Idempotency-Key' });
      const long = 'k'.repeat(MAX_DEDUP_KEY_LENGTH + 50);
      const first = await send(path, {}, { 'idempotency-key': `${long}1` });
      const second = await send(path, {}, { 'idempotency-key': `${long}2` });
      expect(second.eventId).not.toBe(first.eventId);
      expect(await send(path, {}, { 'idempotency-key': `${long}1` })).toEqual({ ...first, duplicate: true });
      const { rows } = await db.query(`SELECT key FROM dedup_keys WHERE entrypoint_id = $1 ORDER BY key`, [
        id,
      ]);
      expect(rows.map((row) => row.key)).toEqual([
        expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
        expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      ]);
    });

    it('makes a new event once the window has passed, which then takes the key over', async () => {
      const { id, path } = await entrypointWith({ header: 'webhook-id', windowSeconds: 60 });
      const headers = { 'webhook-id': 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W' };
      const first = await send(path, {}, headers);
      const { rows } = await db.query(
        `SELECT expires_at > now() + interval '55 seconds' AND expires_at <= now() + interval '60 seconds' AS in_window
         FROM dedup_keys WHERE entrypoint_id = $1`,
        [id],
      );
      expect(rows).toEqual([{ in_window: true }]);
      await db.query(
        `UPDATE dedup_keys SET expires_at = now() - interval '1 second' WHERE entrypoint_id = $1`,
        [id],
      );
      const later = await send(path, {}, headers);
      expect(later.duplicate).toBe(false);
      expect(later.eventId).not.toBe(first.eventId);
      expect(await send(path, {}, headers)).toEqual({ ...later, duplicate: true });
      await waitFor(() => delivered(first.eventId).length === 1 && delivered(later.eventId).length === 1);
      expect(await stored(id)).toEqual({ events: 2, deliveries: 2 });
    });

    it('stores exactly one event of many concurrent identical requests; every answer carries its id', async () => {
      const { id, path } = await entrypointWith({ header: 'svix-id' });
      const keyless = await send(path, { warming: 'the route' });
      const answers = await Promise.all(
        Array.from({ length: 40 }, () => send(path, { same: true }, { 'svix-id': 'msg_concurrent' })),
      );
      const eventIds = new Set(answers.map((answer) => answer.eventId));
      expect(eventIds.size).toBe(1);
      expect(answers.filter((answer) => !answer.duplicate)).toHaveLength(1);
      const [eventId] = eventIds;
      await waitFor(() => delivered(eventId!).length === 1 && delivered(keyless.eventId).length === 1);
      expect(await stored(id)).toEqual({ events: 2, deliveries: 2 });
      expect((await admin.apiKey.get(`/api/v1/entrypoints/${id}`).expect(200)).body.duplicateCount).toBe(39);
    });

    it('does not deduplicate when dedup is off, or for another entrypoint with the same key', async () => {
      const off = await entrypointWith(null);
      const headers = { 'idempotency-key': 'same-key' };
      const a = await send(off.path, {}, headers);
      const b = await send(off.path, {}, headers);
      expect(b).toEqual({ status: 200, eventId: expect.any(String), duplicate: false });
      expect(b.eventId).not.toBe(a.eventId);
      expect(await stored(off.id)).toEqual({ events: 2, deliveries: 2 });

      const one = await entrypointWith({ header: 'idempotency-key' });
      const two = await entrypointWith({ header: 'idempotency-key' });
      const first = await send(one.path, {}, headers);
      const second = await send(two.path, {}, headers);
      expect(second.duplicate).toBe(false);
      expect(second.eventId).not.toBe(first.eventId);
      const { rows } = await db.query(`SELECT count(*)::int AS n FROM dedup_keys WHERE entrypoint_id = $1`, [
        off.id,
      ]);
      expect(rows[0].n).toBe(0);
    });
  });

  describe('one batch (group commit)', () => {
    function captured(key: string, text: string): CapturedRequest {
      return {
        method: 'POST',
        path: '/',
        query: '',
        headers: { 'content-type': 'application/json', 'x-key': key },
        body: Buffer.from(JSON.stringify({ text })),
        sourceIp: null,
        receivedAt: new Date(),
      };
    }

    // Submitted in one tick, the requests are written by one statement.
    it('keeps the first event of a key within a batch; a refused row fails alone and its key goes to the next', async () => {
      await db.query(`
        CREATE FUNCTION refuse_poisoned_dedup_event() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF position('poison' IN convert_from(NEW.body, 'UTF8')) > 0 THEN
            RAISE EXCEPTION 'refused for the test' USING ERRCODE = '22000';
          END IF;
          RETURN NEW;
        END $$`);
      await db.query(
        `CREATE TRIGGER refuse_poison BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION refuse_poisoned_dedup_event()`,
      );
      try {
        const { id } = await entrypointWith({ header: 'x-key' });
        const route = (await testApp.app.get(RouteCache).get(id))!;
        const ingest = testApp.app.get(IngestService);
        const requests = [
          captured('a', 'first a'),
          captured('a', 'second a'),
          captured('b', 'poison'),
          captured('b', 'first b after the refused one'),
          captured('b', 'third b'),
          captured('c', 'only c'),
        ];
        const results = await Promise.allSettled(requests.map((request) => ingest.ingest(route, request)));
        const [a1, a2, refused, b2, b3, c] = results.map((r) =>
          r.status === 'fulfilled' ? r.value : r.reason,
        );
        expect(refused).toBeInstanceOf(EventRefusedError);
        expect(a1).toEqual({ eventId: expect.any(String), duplicate: false });
        expect(a2).toEqual({ eventId: a1.eventId, duplicate: true });
        expect(b2).toEqual({ eventId: expect.any(String), duplicate: false });
        expect(b3).toEqual({ eventId: b2.eventId, duplicate: true });
        expect(c).toEqual({ eventId: expect.any(String), duplicate: false });
        const { rows } = await db.query(
          `SELECT convert_from(body, 'UTF8')::json->>'text' AS text FROM events WHERE entrypoint_id = $1 ORDER BY text`,
          [id],
        );
        expect(rows.map((row) => row.text)).toEqual(['first a', 'first b after the refused one', 'only c']);
      } finally {
        await db.query(`DROP TRIGGER refuse_poison ON events`);
        await db.query(`DROP FUNCTION refuse_poisoned_dedup_event()`);
      }
    });

    // A batch without keys is written by a statement without the dedup steps; one key in a batch
    // takes the whole batch through them, the events without a key included.
    it('stores every event of a batch whose entrypoints do not deduplicate, and mixes both kinds in one', async () => {
      const off = await entrypointWith(null);
      const keyed = await entrypointWith({ header: 'x-key' });
      const ingest = testApp.app.get(IngestService);
      const routes = testApp.app.get(RouteCache);
      const [offRoute, keyedRoute] = [(await routes.get(off.id))!, (await routes.get(keyed.id))!];

      const plain = await Promise.all(
        ['1', '2', '3'].map((n) => ingest.ingest(offRoute, captured('same', `plain ${n}`))),
      );
      expect(new Set(plain.map((result) => result.eventId)).size).toBe(3);
      expect(plain.every((result) => !result.duplicate)).toBe(true);
      expect(await stored(off.id)).toEqual({ events: 3, deliveries: 3 });

      const [o1, k1, o2, k2] = await Promise.all([
        ingest.ingest(offRoute, captured('same', 'mixed off 1')),
        ingest.ingest(keyedRoute, captured('same', 'mixed keyed 1')),
        ingest.ingest(offRoute, captured('same', 'mixed off 2')),
        ingest.ingest(keyedRoute, captured('same', 'mixed keyed 2')),
      ]);
      expect([o1.duplicate, o2.duplicate, k1.duplicate]).toEqual([false, false, false]);
      expect(o2.eventId).not.toBe(o1.eventId);
      expect(k2).toEqual({ eventId: k1.eventId, duplicate: true });
      expect(await stored(off.id)).toEqual({ events: 5, deliveries: 5 });
      expect(await stored(keyed.id)).toEqual({ events: 1, deliveries: 1 });
    });
  });

  describe('cleanup', () => {
    it('deletes the expired keys in batches and keeps the live ones', async () => {
      const { id } = await entrypointWith({ header: 'x-key' });
      await db.query(
        `INSERT INTO dedup_keys (entrypoint_id, key, event_id, expires_at)
         SELECT $1::uuid, 'expired-' || n, gen_random_uuid(), now() - interval '1 minute' FROM generate_series(1, 2500) n
         UNION ALL SELECT $1::uuid, 'live', gen_random_uuid(), now() + interval '1 hour'`,
        [id],
      );
      expect(await testApp.app.get(DedupKeyCleanupJob).deleteExpiredKeys()).toBe(2500);
      const { rows } = await db.query(`SELECT key FROM dedup_keys WHERE entrypoint_id = $1`, [id]);
      expect(rows).toEqual([{ key: 'live' }]);
    });
  });
});
