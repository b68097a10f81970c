import { Client } from 'pg';
import { EventSearchIndexer, SEARCH_INDEX_BATCH } from '../src/event-log/event-search.indexer';
import { asUser, createMember, eventually, seedDelivery, seedEvent, TestUser } from './fixtures';
import { ADMIN_PASSWORD, startTestApp, TestApp } from './test-app';

interface Seeded {
  webhookId: string;
  entrypointId: string;
  targetId: string;
}

/**
 * Event search, the view across webhooks, replay marks and circuit state, against a real
 * PostgreSQL over real HTTP. ROLE=api: no delivery engine runs, so the statuses the test sets are
 * the ones it reads. The search indexer runs only when a test runs it (its own interval is an
 * hour): until then every event is found by the scan of the events past its watermark.
 */
describe('event search, all events, replay marks and circuit state', () => {
  let testApp: TestApp;
  let admin: TestUser;
  let alice: TestUser;
  let bob: TestUser;
  let db: Client;
  let aliceHook: Seeded;
  let bobHook: Seeded;
  const ids: Record<string, string> = {};

  /** A webhook of `user` with one log target. */
  async function webhookOf(user: TestUser, name: string): Promise<Seeded> {
    const webhook = await user.apiKey.post('/api/v1/webhooks', { name }).expect(201);
    const target = await user.apiKey
      .post(`/api/v1/webhooks/${webhook.body.id}/targets`, { name: `${name} log`, type: 'log' })
      .expect(201);
    return {
      webhookId: webhook.body.id,
      entrypointId: webhook.body.entrypoints[0].id,
      targetId: target.body.id,
    };
  }

  /** Sends an event to the entrypoint as a sender would; returns its id. */
  async function send(entrypointId: string, body: string, headers: Record<string, string> = {}) {
    const response = await testApp
      .request()
      .post(`/webhook/${entrypointId}?source=test`)
      .set({ 'content-type': 'application/json', ...headers })
      .send(body)
      .expect(200);
    return response.body.eventId as string;
  }

  async function search(user: TestUser, path: string, query: Record<string, string>): Promise<string[]> {
    const response = await user.session.get(`${path}?${new URLSearchParams(query)}`).expect(200);
    return response.body.items.map((item: { id: string }) => item.id);
  }

  beforeAll(async () => {
    testApp = await startTestApp({
      ROLE: 'api',
      SEARCH_INDEX_INTERVAL_MS: '3600000',
      EVENT_PURGE_INTERVAL_MS: '200',
    });
    admin = await asUser(testApp, 'admin', ADMIN_PASSWORD);
    alice = await createMember(testApp, admin, 'alice');
    bob = await createMember(testApp, admin, 'bob');
    db = new Client({ connectionString: testApp.databaseUrl });
    await db.connect();
    aliceHook = await webhookOf(alice, 'Shop');
    bobHook = await webhookOf(bob, 'Billing');
    ids.order = await send(aliceHook.entrypointId, '{"customer":"Zoë Müller","note":"100% off_sale"}', {
      'x-order-ref': 'ORD-Alpha-7731',
    });
    ids.lookalike = await send(aliceHook.entrypointId, '{"customer":"Ann","note":"100 x off-sale"}');
    ids.bobs = await send(bobHook.entrypointId, '{"customer":"Zoë Müller","invoice":"inv-55"}', {
      'x-order-ref': 'ORD-Alpha-7731',
    });
  });
  afterAll(async () => {
    await db.end();
    await testApp.close();
  });

  it('finds an event by its id, a header value and body text, case-insensitively', async () => {
    const events = `/api/v1/webhooks/${aliceHook.webhookId}/events`;
    expect(await search(alice, events, { q: ids.order })).toEqual([ids.order]);
    expect(await search(alice, events, { q: ids.order.toUpperCase() })).toEqual([ids.order]);
    expect(await search(alice, events, { q: 'ord-alpha-7731' })).toEqual([ids.order]);
    expect(await search(alice, events, { q: 'Zoë Müller' })).toEqual([ids.order]);
    expect(await search(alice, events, { q: 'CUSTOMER' })).toEqual([ids.lookalike, ids.order]);
    expect(await search(alice, events, { q: 'nowhere-to-be-found' })).toEqual([]);
  });

  it('takes %, _ and \\ literally', async () => {
    const events = `/api/v1/webhooks/${aliceHook.webhookId}/events`;
    expect(await search(alice, events, { q: '100% off' })).toEqual([ids.order]);
    expect(await search(alice, events, { q: 'off_sale' })).toEqual([ids.order]);
    expect(await search(alice, events, { q: '%%%' })).toEqual([]);
    expect(await search(alice, events, { q: '___' })).toEqual([]);
    const slashed = await send(aliceHook.entrypointId, '{"path":"C:\\\\temp\\\\x"}');
    // The body holds `C:\\temp` (JSON's escaped backslash): the search text is those characters.
    expect(await search(alice, events, { q: 'C:\\\\temp' })).toEqual([slashed]);
    expect(await search(alice, events, { q: 'C:\\_temp' })).toEqual([]);
  });

  it('searches the first 4 KiB of any body, binary ones too', async () => {
    const binary = Buffer.concat([Buffer.from([0xff, 0x00, 0xfe]), Buffer.from('needle-in-binary')]);
    const { rows } = await db.query(
      `INSERT INTO events (id, webhook_id, entrypoint_id, method, path, headers, body)
       VALUES (gen_random_uuid(), $1, $2, 'POST', '/webhook/x', '{}', $3),
              (gen_random_uuid(), $1, $2, 'POST', '/webhook/x', '{}', $4)
       RETURNING id`,
      [
        aliceHook.webhookId,
        aliceHook.entrypointId,
        binary,
        Buffer.from(`${'a'.repeat(5000)}needle-after-the-prefix`),
      ],
    );
    const events = `/api/v1/webhooks/${aliceHook.webhookId}/events`;
    expect(await search(alice, events, { q: 'needle-in-binary' })).toEqual([rows[0].id]);
    expect(await search(alice, events, { q: 'needle-after-the-prefix' })).toEqual([]);
  });

  it("scopes search to the caller's webhooks; admins see every webhook's events with its name", async () => {
    expect(await search(alice, '/api/v1/events', { q: 'Zoë Müller' })).toEqual([ids.order]);
    expect(await search(bob, '/api/v1/events', { q: 'Zoë Müller' })).toEqual([ids.bobs]);
    expect(await search(bob, '/api/v1/events', { q: ids.order })).toEqual([]);
    await bob.session.get(`/api/v1/webhooks/${aliceHook.webhookId}/events?q=customer`).expect(404);
    const all = await admin.session.get('/api/v1/events?q=ord-alpha-7731').expect(200);
    expect(
      all.body.items.map((item: { id: string; webhookName: string }) => [item.id, item.webhookName]),
    ).toEqual([
      [ids.bobs, 'Billing'],
      [ids.order, 'Shop'],
    ]);
    expect(
      await search(admin, '/api/v1/events', { q: 'ord-alpha-7731', webhookId: bobHook.webhookId }),
    ).toEqual([ids.bobs]);
  });

  it('pages through search results with the cursor', async () => {
    const first = await alice.session.get('/api/v1/events?q=customer&limit=1').expect(200);
    expect(first.body.items).toHaveLength(1);
    const second = await alice.session
      .get(`/api/v1/events?q=customer&limit=1&cursor=${first.body.nextCursor}`)
      .expect(200);
    expect(second.body.items.map((item: { id: string }) => item.id)).toEqual([ids.order]);
  });

  it('refuses a search that is too short, too long or holds NUL, saying why', async () => {
    const events = `/api/v1/webhooks/${aliceHook.webhookId}/events`;
    const long = await alice.session.get(`${events}?q=${'x'.repeat(201)}`).expect(400);
    expect(JSON.stringify(long.body)).toContain('The search (q) must have 3 to 200 characters');
    await alice.session.get(`${events}?q=ab`).expect(400);
    await alice.session.get(`/api/v1/events?q=${'x'.repeat(201)}`).expect(400);
    const nul = await alice.session.get(`${events}?q=abc%00def`).expect(400);
    expect(JSON.stringify(nul.body)).toContain('NUL');
    await alice.session.get(`${events}?targetId=not-a-uuid`).expect(400);
  });

  it('stops a search that runs too long with a 400 that says how to narrow it', async () => {
    // The events table locked by another transaction: the search waits until its statement_timeout.
    const locker = new Client({ connectionString: testApp.databaseUrl });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE events IN ACCESS EXCLUSIVE MODE');
      const stopped = await alice.session.get('/api/v1/events?q=customer').expect(400);
      expect(stopped.body.detail).toMatch(/took longer than 5 s and was stopped: narrow it/);
    } finally {
      await locker.query('ROLLBACK');
      await locker.end();
    }
    await alice.session.get('/api/v1/events?q=customer').expect(200);
  });

  it('filters by entrypoint and by target (with the delivery status)', async () => {
    const second = await alice.apiKey
      .post(`/api/v1/webhooks/${aliceHook.webhookId}/entrypoints`, {})
      .expect(201);
    const viaSecond = await send(second.body.id, '{"customer":"via second"}');
    const events = `/api/v1/webhooks/${aliceHook.webhookId}/events`;
    expect(await search(alice, events, { entrypointId: second.body.id })).toEqual([viaSecond]);
    expect(await search(alice, events, { entrypointId: second.body.id, q: 'zoë' })).toEqual([]);

    const other = await alice.apiKey
      .post(`/api/v1/webhooks/${aliceHook.webhookId}/targets`, { name: 'other', type: 'log' })
      .expect(201);
    const onlyOther = await seedEvent(db, aliceHook.webhookId, aliceHook.entrypointId);
    await seedDelivery(db, {
      eventId: onlyOther,
      webhookId: aliceHook.webhookId,
      targetId: other.body.id,
      status: 'failed',
    });
    expect(await search(alice, events, { targetId: other.body.id })).toEqual([onlyOther]);
    expect(await search(alice, events, { targetId: other.body.id, status: 'failed' })).toEqual([onlyOther]);
    expect(await search(alice, events, { targetId: other.body.id, status: 'delivered' })).toEqual([]);
    expect(await search(alice, '/api/v1/events', { targetId: other.body.id })).toEqual([onlyOther]);
  });

  describe('the search index', () => {
    let indexer: EventSearchIndexer;
    beforeAll(() => {
      indexer = testApp.app.get(EventSearchIndexer);
    });

    async function indexedIds(): Promise<Set<string>> {
      const { rows } = await db.query<{ event_id: string }>(`SELECT event_id FROM event_search`);
      return new Set(rows.map((row) => row.event_id));
    }

    it('indexes every settled event once, when run twice and concurrently, with its search text', async () => {
      const { rows: before } = await db.query(`SELECT count(*)::int AS n FROM events`);
      expect(await indexedIds()).toEqual(new Set());
      const runs = await Promise.all([indexer.indexNew(0), indexer.indexNew(0), indexer.indexNew(0)]);
      expect(runs.reduce((sum, n) => sum + n, 0)).toBe(before[0].n);
      expect(await indexer.indexNew(0)).toBe(0);
      const { rows } = await db.query(
        `SELECT count(*)::int AS n,
                count(*) FILTER (WHERE s.text IS DISTINCT FROM webhooker_event_search_text(e.headers, e.body))::int AS wrong
         FROM events e LEFT JOIN event_search s ON s.event_id = e.id`,
      );
      expect(rows[0]).toEqual({ n: before[0].n, wrong: 0 });
      const { rows: state } = await db.query(
        `SELECT indexed_until, indexed_until_id FROM event_search_state`,
      );
      const { rows: newest } = await db.query(
        `SELECT received_at, id FROM events ORDER BY received_at DESC, id DESC LIMIT 1`,
      );
      expect(state[0]).toEqual({ indexed_until: newest[0].received_at, indexed_until_id: newest[0].id });
    });

    it('finds indexed events through the index, and events past the watermark by their own text', async () => {
      await indexer.indexNew(0);
      const events = `/api/v1/webhooks/${aliceHook.webhookId}/events`;
      expect(await search(alice, events, { q: 'ord-alpha-7731' })).toEqual([ids.order]);
      expect(await search(alice, events, { q: 'Zoë Müller' })).toEqual([ids.order]);
      expect(await search(alice, events, { q: ids.order })).toEqual([ids.order]);
      expect(await search(alice, '/api/v1/events', { q: 'customer', since: '2000-01-01T00:00:00Z' })).toEqual(
        await search(alice, '/api/v1/events', { q: 'customer' }),
      );
      const first = await alice.session.get('/api/v1/events?q=customer&limit=1').expect(200);
      const second = await alice.session
        .get(`/api/v1/events?q=customer&limit=1&cursor=${first.body.nextCursor}`)
        .expect(200);
      expect([...first.body.items, ...second.body.items].map((item: { id: string }) => item.id)).toEqual(
        await search(alice, '/api/v1/events', { q: 'customer', limit: '2' }),
      );
      // Indexed: found by the indexed text alone.
      await db.query(`UPDATE event_search SET text = 'only-in-the-index' WHERE event_id = $1`, [
        ids.lookalike,
      ]);
      expect(await search(alice, events, { q: 'ONLY-IN-THE-INDEX' })).toEqual([ids.lookalike]);
      expect(await search(alice, events, { q: '100 x off-sale' })).toEqual([]);
      // Received a minute from now: not settled, so past the watermark, and found by the scan.
      const { rows } = await db.query(
        `INSERT INTO events (id, webhook_id, entrypoint_id, method, path, headers, body, received_at)
         VALUES (gen_random_uuid(), $1, $2, 'POST', '/webhook/x', '{"x-late":"late-needle-42"}', '\\x7b7d',
                 now() + interval '1 minute')
         RETURNING id`,
        [aliceHook.webhookId, aliceHook.entrypointId],
      );
      expect(await indexer.indexNew()).toBe(0);
      expect((await indexedIds()).has(rows[0].id)).toBe(false);
      expect(await search(alice, events, { q: 'late-needle-42' })).toEqual([rows[0].id]);
      expect(await search(alice, events, { q: rows[0].id })).toEqual([rows[0].id]);
    });

    it('indexes a backlog of several batches in one run, resting between batches as long as each took', async () => {
      await indexer.indexNew(0);
      await new Promise((resolve) => setTimeout(resolve, 30));
      // received 20 ms ago, after every event indexed so far, one microsecond apart
      const backlog = SEARCH_INDEX_BATCH * 2 + 7;
      await db.query(
        `INSERT INTO events (id, webhook_id, entrypoint_id, method, path, headers, body, received_at)
         SELECT gen_random_uuid(), $1, $2, 'POST', '/webhook/x', jsonb_build_object('x-n', 'backlog-' || n),
                '\\x7b7d', now() - interval '20 milliseconds' + n * interval '1 microsecond'
         FROM generate_series(1, $3) n`,
        [aliceHook.webhookId, aliceHook.entrypointId, backlog],
      );
      const batches: { start: number; end: number }[] = [];
      const indexBatch = (indexer as unknown as { indexBatch: (settleMs: number) => Promise<number> })
        .indexBatch;
      const spy = jest.spyOn(indexer as never, 'indexBatch' as never).mockImplementation((async (
        settleMs: number,
      ) => {
        const start = performance.now();
        const n = await indexBatch.call(indexer, settleMs);
        batches.push({ start, end: performance.now() });
        return n;
      }) as never);
      try {
        expect(await indexer.indexNew(0)).toBe(backlog);
      } finally {
        spy.mockRestore();
      }
      const { rows } = await db.query(
        `SELECT count(*)::int AS n FROM events e JOIN event_search s ON s.event_id = e.id
         WHERE e.headers ->> 'x-n' LIKE 'backlog-%' AND s.text LIKE '%backlog-%'`,
      );
      expect(rows[0].n).toBe(backlog);
      expect(batches).toHaveLength(3);
      for (let i = 1; i < batches.length; i++) {
        const took = batches[i - 1]!.end - batches[i - 1]!.start;
        // timers count whole milliseconds: allow 2 ms of rounding
        expect(batches[i]!.start - batches[i - 1]!.end).toBeGreaterThanOrEqual(took - 2);
      }
      expect(
        await search(alice, `/api/v1/webhooks/${aliceHook.webhookId}/events`, { q: `backlog-${backlog}` }),
      ).toHaveLength(1);
    });

    it("drops a deleted webhook's events from the index", async () => {
      const hook = await webhookOf(alice, 'Deleted soon');
      const sent = await send(hook.entrypointId, '{"customer":"gone-soon-77"}');
      await indexer.indexNew(0);
      expect((await indexedIds()).has(sent)).toBe(true);
      expect(await search(alice, '/api/v1/events', { q: 'gone-soon-77' })).toEqual([sent]);
      await alice.session.delete(`/api/v1/webhooks/${hook.webhookId}`).expect(204);
      await eventually('the webhook is purged', async () => !(await indexedIds()).has(sent));
      expect(await search(alice, '/api/v1/events', { q: 'gone-soon-77' })).toEqual([]);
    });
  });

  describe('replay marks', () => {
    let hook: Seeded;
    beforeAll(async () => {
      hook = await webhookOf(alice, 'Replays');
    });

    async function failedDelivery(): Promise<{ eventId: string; deliveryId: string }> {
      const eventId = await seedEvent(db, hook.webhookId, hook.entrypointId);
      const deliveryId = await seedDelivery(db, {
        eventId,
        webhookId: hook.webhookId,
        targetId: hook.targetId,
        status: 'failed',
      });
      return { eventId, deliveryId };
    }

    async function marks(deliveryId: string) {
      const { rows } = await db.query(`SELECT replayed_at, replayed_by FROM deliveries WHERE id = $1`, [
        deliveryId,
      ]);
      return rows[0] as { replayed_at: Date | null; replayed_by: string | null };
    }

    it('marks a single replay with the user, and shows it on the delivery', async () => {
      const { eventId, deliveryId } = await failedDelivery();
      expect(await marks(deliveryId)).toEqual({ replayed_at: null, replayed_by: null });
      const replayed = await alice.session.post(`/api/v1/deliveries/${deliveryId}/replay`).expect(200);
      expect(replayed.body).toMatchObject({ status: 'pending', replayedBy: 'alice' });
      expect(Date.parse(replayed.body.replayedAt)).not.toBeNaN();
      const event = await alice.session.get(`/api/v1/events/${eventId}`).expect(200);
      expect(event.body.deliveries[0]).toMatchObject({ id: deliveryId, replayedBy: 'alice' });
    });

    it('marks a replay made with an API key with the key', async () => {
      const { deliveryId } = await failedDelivery();
      const keys = await alice.session.get('/api/v1/api-keys').expect(200);
      const prefixes = keys.body.items.map((key: { prefix: string }) => `API key ${key.prefix}`);
      await alice.apiKey.post(`/api/v1/deliveries/${deliveryId}/replay`).expect(200);
      expect(prefixes).toContain((await marks(deliveryId)).replayed_by);
    });

    it("marks the replay of a target's failed deliveries", async () => {
      const first = await failedDelivery();
      const second = await failedDelivery();
      const result = await admin.session.post(`/api/v1/targets/${hook.targetId}/replay-failed`).expect(200);
      expect(result.body.replayed).toBe(2);
      expect((await marks(first.deliveryId)).replayed_by).toBe('admin');
      expect((await marks(second.deliveryId)).replayed_by).toBe('admin');
    });

    it('marks the new deliveries of an event replay', async () => {
      const { eventId } = await failedDelivery();
      const replayed = await alice.session.post(`/api/v1/events/${eventId}/replay`).expect(200);
      expect(replayed.body).toHaveLength(1);
      expect(replayed.body[0]).toMatchObject({ status: 'pending', replayedBy: 'alice' });
      expect((await marks(replayed.body[0].id)).replayed_by).toBe('alice');
    });

    it('marks the deliveries of a bulk replay with who started it', async () => {
      const { deliveryId } = await failedDelivery();
      const operation = await alice.session
        .post(`/api/v1/webhooks/${hook.webhookId}/replay`, { status: ['failed'] })
        .expect(202);
      await eventually('the bulk replay ends', async () => {
        const body = (await alice.session.get(`/api/v1/bulk-operations/${operation.body.id}`).expect(200))
          .body;
        return body.state === 'done';
      });
      expect((await marks(deliveryId)).replayed_by).toBe('alice');
    });
  });

  it('says until when a waiting delivery is held back by an open circuit', async () => {
    const hook = await webhookOf(alice, 'Circuit');
    const eventId = await seedEvent(db, hook.webhookId, hook.entrypointId);
    const waiting = await seedDelivery(db, {
      eventId,
      webhookId: hook.webhookId,
      targetId: hook.targetId,
      status: 'retrying',
    });
    const done = await seedDelivery(db, {
      eventId,
      webhookId: hook.webhookId,
      targetId: hook.targetId,
      status: 'delivered',
    });
    const event = () => alice.session.get(`/api/v1/events/${eventId}`).expect(200);
    const circuits = async () =>
      Object.fromEntries(
        (await event()).body.deliveries.map((d: { id: string; circuitOpenUntil: string | null }) => [
          d.id,
          d.circuitOpenUntil,
        ]),
      );
    expect(await circuits()).toEqual({ [waiting]: null, [done]: null });

    const { rows } = await db.query(
      `UPDATE targets SET consecutive_failures = 5, circuit_open_until = now() + interval '1 hour',
         failing_since = now() WHERE id = $1 RETURNING circuit_open_until`,
      [hook.targetId],
    );
    const until = (rows[0].circuit_open_until as Date).toISOString();
    expect(await circuits()).toEqual({ [waiting]: until, [done]: null });
    const failedList = await alice.session.get(`/api/v1/targets/${hook.targetId}/deliveries`).expect(200);
    expect(failedList.body.items.find((d: { id: string }) => d.id === waiting).circuitOpenUntil).toBe(until);

    await db.query(`UPDATE targets SET circuit_open_until = now() - interval '1 second' WHERE id = $1`, [
      hook.targetId,
    ]);
    expect(await circuits()).toEqual({ [waiting]: null, [done]: null });
  });
});
