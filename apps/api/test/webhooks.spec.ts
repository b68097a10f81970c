import { ADMIN_PASSWORD, login, startTestApp, TestApp } from './test-app';
import { asUser, createMember, MISSING_ID, TestUser, withSql } from './fixtures';

const PUBLIC_URL = 'http://hooks.example.com';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO_DATE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe('webhooks API (HTTP, real PostgreSQL)', () => {
  let testApp: TestApp;
  let admin: TestUser;
  let alice: TestUser;
  let bob: TestUser;

  beforeAll(async () => {
    testApp = await startTestApp({ PUBLIC_URL });
    admin = await asUser(testApp, 'admin', ADMIN_PASSWORD);
    alice = await createMember(testApp, admin, 'alice');
    bob = await createMember(testApp, admin, 'bob');
  });
  afterAll(() => testApp.close());

  async function createWebhook(user: TestUser, body: object = { name: 'Stripe payments' }) {
    const response = await user.session.post('/api/v1/webhooks', body).expect(201);
    return response.body;
  }

  /** Inserts `count` events of the webhook straight into the table (there is no ingest in this test). */
  async function seedEvents(webhook: { id: string; entrypoints: { id: string }[] }, count: number) {
    await withSql(testApp, (sql) =>
      sql.query(
        `INSERT INTO events (id, webhook_id, entrypoint_id, method, path, headers, body)
         SELECT gen_random_uuid(), $1, $2, 'POST', '/webhook/seeded', '{}', '\\x7b7d'
         FROM generate_series(1, $3)`,
        [webhook.id, webhook.entrypoints[0]!.id, count],
      ),
    );
  }

  describe('create', () => {
    it('creates a webhook with defaults and one active entrypoint at PUBLIC_URL/webhook/{id}', async () => {
      const response = await alice.session.post('/api/v1/webhooks', { name: 'Stripe payments' }).expect(201);
      expect(response.headers['content-type']).toContain('application/json');
      const webhook = response.body;
      expect(webhook).toEqual({
        id: expect.stringMatching(UUID),
        key: null,
        name: 'Stripe payments',
        description: '',
        retentionDays: 30,
        ownerId: alice.id,
        entrypointCount: 1,
        targetCount: 0,
        eventCount: 0,
        createdAt: expect.stringMatching(ISO_DATE),
        updatedAt: expect.any(String),
        entrypoints: [
          {
            id: expect.stringMatching(UUID),
            key: null,
            webhookId: webhook.id,
            url: `${PUBLIC_URL}/webhook/${webhook.entrypoints[0].id}`,
            description: '',
            active: true,
            createdAt: expect.stringMatching(ISO_DATE),
            updatedAt: expect.any(String),
            verification: expect.objectContaining({ method: 'none', secrets: [] }),
            rejectedCount: 0,
            dedup: null,
            duplicateCount: 0,
          },
        ],
      });
      expect(Date.now() - Date.parse(webhook.createdAt)).toBeLessThan(60_000);

      const stored = await alice.session.get(`/api/v1/webhooks/${webhook.id}`).expect(200);
      expect(stored.body).toEqual(webhook);
    });

    it('keeps the description and retention it is given, also when created with an API key', async () => {
      const response = await alice.apiKey
        .post('/api/v1/webhooks', { name: 'GitHub', description: 'Pushes and PRs', retentionDays: 3650 })
        .expect(201);
      expect(response.body).toMatchObject({
        name: 'GitHub',
        description: 'Pushes and PRs',
        retentionDays: 3650,
        ownerId: alice.id,
      });
      const low = await alice.apiKey
        .post('/api/v1/webhooks', { name: 'Short', retentionDays: 1 })
        .expect(201);
      expect(low.body.retentionDays).toBe(1);
    });

    it.each([
      ['no name', {}, 'name', 'Name is required'],
      ['an empty name', { name: '' }, 'name', 'Name must not be empty'],
      [
        'a name of 101 characters',
        { name: 'x'.repeat(101) },
        'name',
        'Name must be at most 100 characters long',
      ],
      ['a name that is a number', { name: 42 }, 'name', 'Name must be a string'],
      [
        'a description of 1001 characters',
        { name: 'ok', description: 'd'.repeat(1001) },
        'description',
        'Description must be at most 1000 characters long',
      ],
      [
        'retentionDays 0',
        { name: 'ok', retentionDays: 0 },
        'retentionDays',
        'Retention days must be at least 1',
      ],
      [
        'retentionDays 3651',
        { name: 'ok', retentionDays: 3651 },
        'retentionDays',
        'Retention days must be at most 3650',
      ],
      [
        'retentionDays 1.5',
        { name: 'ok', retentionDays: 1.5 },
        'retentionDays',
        'Retention days must be a whole number',
      ],
      [
        'retentionDays "30"',
        { name: 'ok', retentionDays: '30' },
        'retentionDays',
        'Retention days must be a whole number',
      ],
      ['an ownerId', { name: 'ok', ownerId: MISSING_ID }, 'ownerId', 'property ownerId should not exist'],
      [
        'entrypoints',
        { name: 'ok', entrypoints: [] },
        'entrypoints',
        'property entrypoints should not exist',
      ],
    ])('refuses %s with 400 naming the field, and creates nothing', async (_what, body, field, message) => {
      const before = await bob.session.get('/api/v1/webhooks').expect(200);
      const response = await bob.session.post('/api/v1/webhooks', body).expect(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.body).toEqual({
        type: 'https://webhooker.dev/problems/validation-failed',
        title: 'Bad Request',
        status: 400,
        detail: message,
        errors: [{ field, message }],
      });
      const after = await bob.session.get('/api/v1/webhooks').expect(200);
      expect(after.body.items).toHaveLength(before.body.items.length);
    });

    it('names every field at fault at once', async () => {
      const response = await bob.session.post('/api/v1/webhooks', { name: '', retentionDays: 0 }).expect(400);
      expect(response.body.errors).toEqual([
        { field: 'name', message: 'Name must not be empty' },
        { field: 'retentionDays', message: 'Retention days must be at least 1' },
      ]);
    });

    it('refuses a body that is not JSON, without a session, and without the CSRF token', async () => {
      const notJson = await alice.apiKey
        .post('/api/v1/webhooks')
        .set('Content-Type', 'application/json')
        .send('{"name": ')
        .expect(400);
      expect(notJson.headers['content-type']).toContain('application/problem+json');
      expect(notJson.body).toMatchObject({
        status: 400,
        detail: 'The body is not valid JSON: Unexpected end of JSON input',
      });
      await testApp.request().post('/api/v1/webhooks').send({ name: 'anonymous' }).expect(401);
      await testApp.request().get('/api/v1/webhooks').expect(401);
      const { agent } = await login(testApp, 'bob', 'password-123');
      await agent.post('/api/v1/webhooks').send({ name: 'no csrf' }).expect(403);
      const list = await bob.session.get('/api/v1/webhooks').expect(200);
      expect(list.body.items.map((w: { name: string }) => w.name)).not.toContain('no csrf');
    });
  });

  describe('list, get', () => {
    it('lists the caller’s webhooks newest first with entrypoint, target and event counts', async () => {
      const carol = await createMember(testApp, admin, 'carol');
      const first = await createWebhook(carol, { name: 'first' });
      const second = await createWebhook(carol, { name: 'second' });
      await carol.session.post(`/api/v1/webhooks/${second.id}/entrypoints`, {}).expect(201);
      await carol.session.post(`/api/v1/webhooks/${second.id}/entrypoints`, {}).expect(201);
      await carol.session
        .post(`/api/v1/webhooks/${second.id}/targets`, { name: 'log', type: 'log' })
        .expect(201);
      await seedEvents(second, 3);
      await seedEvents(first, 1);

      const list = await carol.session.get('/api/v1/webhooks').expect(200);
      expect(list.body.nextCursor).toBeNull();
      expect(list.body.items).toEqual([
        {
          id: second.id,
          key: null,
          name: 'second',
          description: '',
          retentionDays: 30,
          ownerId: carol.id,
          entrypointCount: 3,
          targetCount: 1,
          eventCount: 3,
          createdAt: second.createdAt,
          updatedAt: second.updatedAt,
        },
        expect.objectContaining({ id: first.id, entrypointCount: 1, targetCount: 0, eventCount: 1 }),
      ]);

      const detail = await carol.apiKey.get(`/api/v1/webhooks/${second.id}`).expect(200);
      expect(detail.body).toMatchObject({ entrypointCount: 3, targetCount: 1, eventCount: 3 });
      expect(detail.body.entrypoints).toHaveLength(3);
      expect(detail.body.entrypoints[0].id).toBe(second.entrypoints[0].id);
    });

    it('does not count deleted entrypoints and targets', async () => {
      const webhook = await createWebhook(alice, { name: 'counting' });
      const extra = await alice.session.post(`/api/v1/webhooks/${webhook.id}/entrypoints`, {}).expect(201);
      const target = await alice.session
        .post(`/api/v1/webhooks/${webhook.id}/targets`, { name: 'log', type: 'log' })
        .expect(201);
      await alice.session.delete(`/api/v1/entrypoints/${extra.body.id}`).expect(204);
      await alice.session.delete(`/api/v1/targets/${target.body.id}`).expect(204);
      const detail = await alice.session.get(`/api/v1/webhooks/${webhook.id}`).expect(200);
      expect(detail.body).toMatchObject({ entrypointCount: 1, targetCount: 0 });
      expect(detail.body.entrypoints.map((e: { id: string }) => e.id)).toEqual([webhook.entrypoints[0].id]);
    });

    it('answers an unknown id with 404 and a malformed one with 400', async () => {
      const missing = await alice.session.get(`/api/v1/webhooks/${MISSING_ID}`).expect(404);
      expect(missing.headers['content-type']).toContain('application/problem+json');
      expect(missing.body).toEqual({
        type: 'https://webhooker.dev/problems/not-found',
        title: 'Not Found',
        status: 404,
        detail: `Webhook ${MISSING_ID} not found`,
      });
      for (const request of [
        alice.session.get('/api/v1/webhooks/not-a-uuid'),
        alice.session.patch('/api/v1/webhooks/not-a-uuid', { name: 'x' }),
        alice.session.delete('/api/v1/webhooks/123'),
      ]) {
        const response = await request.expect(400);
        expect(response.body.detail).toBe('Validation failed (uuid is expected)');
      }
    });
  });

  describe('pagination', () => {
    it('pages with limit and cursor, newest first, without gaps or repeats', async () => {
      const dave = await createMember(testApp, admin, 'dave');
      const created: string[] = [];
      for (let i = 1; i <= 5; i++) created.unshift((await createWebhook(dave, { name: `hook ${i}` })).id);

      const seen: string[] = [];
      let cursor: string | null = null;
      const pageSizes: number[] = [];
      do {
        const path: string = `/api/v1/webhooks?limit=2${cursor ? `&cursor=${cursor}` : ''}`;
        const page = await dave.apiKey.get(path).expect(200);
        pageSizes.push(page.body.items.length);
        seen.push(...page.body.items.map((w: { id: string }) => w.id));
        cursor = page.body.nextCursor;
      } while (cursor);
      expect(pageSizes).toEqual([2, 2, 1]);
      expect(seen).toEqual(created);

      const all = await dave.apiKey.get('/api/v1/webhooks?limit=5').expect(200);
      expect(all.body.items).toHaveLength(5);
      expect(all.body.nextCursor).toBeNull();
    });

    it.each([
      ['limit=0', 'limit', 'Limit must be at least 1'],
      ['limit=201', 'limit', 'Limit must be at most 200'],
      ['limit=ten', 'limit', 'Limit must be a whole number'],
      ['sort=name', 'sort', 'property sort should not exist'],
    ])('refuses ?%s with 400 naming %s', async (query, field, message) => {
      const response = await alice.session.get(`/api/v1/webhooks?${query}`).expect(400);
      expect(response.body.errors).toEqual([{ field, message }]);
    });

    it.each([
      ['not base64 JSON', 'not-a-cursor'],
      [
        'a cursor with a date that is not one',
        Buffer.from('{"createdAt":"yesterday","id":"x"}').toString('base64url'),
      ],
      [
        'a cursor with an id that is not a UUID',
        Buffer.from(JSON.stringify({ createdAt: new Date().toISOString(), id: 'x' })).toString('base64url'),
      ],
      ['a cursor that is JSON null', Buffer.from('null').toString('base64url')],
    ])('answers %s with 400', async (_what, cursor) => {
      const response = await alice.session.get(`/api/v1/webhooks?cursor=${cursor}`).expect(400);
      expect(response.body.detail).toBe('cursor is not valid');
    });
  });

  describe('update', () => {
    it('changes name, description and retention; fields left out keep their value', async () => {
      const webhook = await createWebhook(alice, { name: 'before', description: 'desc', retentionDays: 7 });
      await new Promise((resolve) => setTimeout(resolve, 5));
      const renamed = await alice.session
        .patch(`/api/v1/webhooks/${webhook.id}`, { name: 'after' })
        .expect(200);
      expect(renamed.body).toEqual({
        ...webhook,
        name: 'after',
        updatedAt: expect.any(String),
      });
      expect(Date.parse(renamed.body.updatedAt)).toBeGreaterThan(Date.parse(webhook.updatedAt));

      const changed = await alice.apiKey
        .patch(`/api/v1/webhooks/${webhook.id}`, { description: '', retentionDays: 3650 })
        .expect(200);
      expect(changed.body).toMatchObject({ name: 'after', description: '', retentionDays: 3650 });
      const stored = await alice.session.get(`/api/v1/webhooks/${webhook.id}`).expect(200);
      expect(stored.body).toMatchObject({ name: 'after', description: '', retentionDays: 3650 });
    });

    it.each([
      ['an empty name', { name: '' }, 'name', 'Name must not be empty'],
      [
        'a name of 101 characters',
        { name: 'n'.repeat(101) },
        'name',
        'Name must be at most 100 characters long',
      ],
      ['retentionDays 0', { retentionDays: 0 }, 'retentionDays', 'Retention days must be at least 1'],
      ['retentionDays 3651', { retentionDays: 3651 }, 'retentionDays', 'Retention days must be at most 3650'],
      [
        'retentionDays null',
        { retentionDays: null },
        'retentionDays',
        'Retention days must be a whole number',
      ],
      ['an ownerId', { ownerId: MISSING_ID }, 'ownerId', 'property ownerId should not exist'],
      ['an id', { id: MISSING_ID }, 'id', 'property id should not exist'],
      ['name null', { name: null }, 'name', 'Name must be a string'],
      ['description null', { description: null }, 'description', 'Description must be a string'],
    ])('refuses %s with 400 naming the field, and changes nothing', async (_what, body, field, message) => {
      const webhook = await createWebhook(alice, { name: 'unchanged', retentionDays: 9 });
      const response = await alice.session.patch(`/api/v1/webhooks/${webhook.id}`, body).expect(400);
      expect(response.body.errors).toEqual([{ field, message }]);
      const stored = await alice.session.get(`/api/v1/webhooks/${webhook.id}`).expect(200);
      expect(stored.body).toEqual(webhook);
    });
  });

  describe('delete', () => {
    it('answers 204, then 404 everywhere, and leaves the list', async () => {
      const webhook = await createWebhook(alice, { name: 'doomed' });
      await alice.session.delete(`/api/v1/webhooks/${webhook.id}`).expect(204);
      await alice.session.get(`/api/v1/webhooks/${webhook.id}`).expect(404);
      await alice.session.patch(`/api/v1/webhooks/${webhook.id}`, { name: 'zombie' }).expect(404);
      await alice.session.delete(`/api/v1/webhooks/${webhook.id}`).expect(404);
      await alice.session.post(`/api/v1/webhooks/${webhook.id}/entrypoints`, {}).expect(404);
      await alice.session.get(`/api/v1/webhooks/${webhook.id}/targets`).expect(404);
      const list = await alice.session.get('/api/v1/webhooks?limit=200').expect(200);
      expect(list.body.items.map((w: { id: string }) => w.id)).not.toContain(webhook.id);
    });
  });

  describe('ownership', () => {
    let aliceWebhook: { id: string; name: string };

    beforeAll(async () => {
      aliceWebhook = await createWebhook(alice, { name: 'alice only' });
    });

    it.each(['session', 'apiKey'] as const)(
      'answers another user’s webhook with 404 on every route (%s), and changes nothing',
      async (how) => {
        const client = bob[how];
        const path = `/api/v1/webhooks/${aliceWebhook.id}`;
        const detail = `Webhook ${aliceWebhook.id} not found`;
        for (const request of [
          client.get(path),
          client.patch(path, { name: 'taken over' }),
          client.delete(path),
          client.get(`${path}/entrypoints`),
          client.post(`${path}/entrypoints`, {}),
          client.get(`${path}/targets`),
          client.post(`${path}/targets`, { name: 'spy', type: 'log' }),
        ]) {
          const response = await request.expect(404);
          expect(response.body.detail).toBe(detail);
        }
        const list = await client.get('/api/v1/webhooks?limit=200').expect(200);
        expect(list.body.items.map((w: { id: string }) => w.id)).not.toContain(aliceWebhook.id);
        expect(list.body.items.every((w: { ownerId: string }) => w.ownerId === bob.id)).toBe(true);

        const stored = await alice.session.get(path).expect(200);
        expect(stored.body).toMatchObject({ name: 'alice only', entrypointCount: 1, targetCount: 0 });
      },
    );

    it('lets an admin see, change and delete every user’s webhooks', async () => {
      const bobs = await createWebhook(bob, { name: 'bob’s' });
      const list = await admin.apiKey.get('/api/v1/webhooks?limit=200').expect(200);
      const ids = list.body.items.map((w: { id: string }) => w.id);
      expect(ids).toEqual(expect.arrayContaining([aliceWebhook.id, bobs.id]));

      await admin.session.get(`/api/v1/webhooks/${aliceWebhook.id}`).expect(200);
      const renamed = await admin.apiKey
        .patch(`/api/v1/webhooks/${bobs.id}`, { name: 'renamed by admin' })
        .expect(200);
      expect(renamed.body).toMatchObject({ name: 'renamed by admin', ownerId: bob.id });
      await admin.session.delete(`/api/v1/webhooks/${bobs.id}`).expect(204);
      await bob.session.get(`/api/v1/webhooks/${bobs.id}`).expect(404);
    });

    it('makes a webhook an admin creates theirs, not visible to members', async () => {
      const adminWebhook = await createWebhook(admin, { name: 'admin’s' });
      expect(adminWebhook.ownerId).toBe(admin.id);
      await alice.session.get(`/api/v1/webhooks/${adminWebhook.id}`).expect(404);
    });
  });
});
