import { ADMIN_PASSWORD, startTestApp, TestApp } from './test-app';
import { asUser, createMember, MISSING_ID, TestUser } from './fixtures';

const PUBLIC_URL = 'http://hooks.example.com/';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('entrypoints API (HTTP, real PostgreSQL)', () => {
  let testApp: TestApp;
  let admin: TestUser;
  let alice: TestUser;
  let bob: TestUser;

  beforeAll(async () => {
    // With a trailing slash: entrypoint URLs must still have exactly one slash before /webhook.
    testApp = await startTestApp({ PUBLIC_URL });
    admin = await asUser(testApp, 'admin', ADMIN_PASSWORD);
    alice = await createMember(testApp, admin, 'alice');
    bob = await createMember(testApp, admin, 'bob');
  });
  afterAll(() => testApp.close());

  async function createWebhook(user: TestUser, name = 'Stripe') {
    return (await user.session.post('/api/v1/webhooks', { name }).expect(201)).body as {
      id: string;
      entrypoints: { id: string; url: string }[];
    };
  }

  describe('create, list, get', () => {
    it('adds an entrypoint with its full inbound URL, active by default', async () => {
      const webhook = await createWebhook(alice);
      expect(webhook.entrypoints[0]!.url).toBe(
        `http://hooks.example.com/webhook/${webhook.entrypoints[0]!.id}`,
      );

      const response = await alice.session
        .post(`/api/v1/webhooks/${webhook.id}/entrypoints`, { description: 'Stripe production' })
        .expect(201);
      expect(response.body).toEqual({
        id: expect.stringMatching(UUID),
        key: null,
        webhookId: webhook.id,
        url: `http://hooks.example.com/webhook/${response.body.id}`,
        description: 'Stripe production',
        active: true,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
        verification: expect.objectContaining({ method: 'none', secrets: [] }),
        rejectedCount: 0,
        dedup: null,
        duplicateCount: 0,
      });
      expect(response.body.id).not.toBe(webhook.entrypoints[0]!.id);

      const fetched = await alice.apiKey.get(`/api/v1/entrypoints/${response.body.id}`).expect(200);
      expect(fetched.body).toEqual(response.body);
    });

    it('creates an inactive entrypoint when asked, with an empty body too', async () => {
      const webhook = await createWebhook(alice);
      const inactive = await alice.apiKey
        .post(`/api/v1/webhooks/${webhook.id}/entrypoints`, { active: false })
        .expect(201);
      expect(inactive.body).toMatchObject({ active: false, description: '' });
      const empty = await alice.apiKey.post(`/api/v1/webhooks/${webhook.id}/entrypoints`).expect(201);
      expect(empty.body).toMatchObject({ active: true, description: '' });
    });

    it('lists a webhook’s entrypoints newest first, and pages them', async () => {
      const webhook = await createWebhook(alice);
      const second = await alice.session
        .post(`/api/v1/webhooks/${webhook.id}/entrypoints`, { description: 'second' })
        .expect(201);
      const third = await alice.session
        .post(`/api/v1/webhooks/${webhook.id}/entrypoints`, { description: 'third' })
        .expect(201);

      const list = await alice.session.get(`/api/v1/webhooks/${webhook.id}/entrypoints`).expect(200);
      expect(list.body.items.map((e: { id: string }) => e.id)).toEqual([
        third.body.id,
        second.body.id,
        webhook.entrypoints[0]!.id,
      ]);
      expect(list.body.items[0]).toEqual(third.body);
      expect(list.body.nextCursor).toBeNull();

      const first = await alice.session.get(`/api/v1/webhooks/${webhook.id}/entrypoints?limit=2`).expect(200);
      expect(first.body.items).toHaveLength(2);
      expect(first.body.nextCursor).toEqual(expect.any(String));
      const rest = await alice.session
        .get(`/api/v1/webhooks/${webhook.id}/entrypoints?limit=2&cursor=${first.body.nextCursor}`)
        .expect(200);
      expect(rest.body.items.map((e: { id: string }) => e.id)).toEqual([webhook.entrypoints[0]!.id]);
      expect(rest.body.nextCursor).toBeNull();
    });

    it('answers an unknown webhook or entrypoint with 404 and malformed ids with 400', async () => {
      const noWebhook = await alice.session
        .post(`/api/v1/webhooks/${MISSING_ID}/entrypoints`, {})
        .expect(404);
      expect(noWebhook.body.detail).toBe(`Webhook ${MISSING_ID} not found`);
      const noEntrypoint = await alice.session.get(`/api/v1/entrypoints/${MISSING_ID}`).expect(404);
      expect(noEntrypoint.body).toEqual({
        type: 'https://webhooker.dev/problems/not-found',
        title: 'Not Found',
        status: 404,
        detail: `Entrypoint ${MISSING_ID} not found`,
      });
      for (const request of [
        alice.session.get('/api/v1/webhooks/nope/entrypoints'),
        alice.session.post('/api/v1/webhooks/nope/entrypoints', {}),
        alice.session.get('/api/v1/entrypoints/nope'),
        alice.session.patch('/api/v1/entrypoints/nope', { active: false }),
        alice.session.delete('/api/v1/entrypoints/nope'),
      ]) {
        const response = await request.expect(400);
        expect(response.body.detail).toBe('Validation failed (uuid is expected)');
      }
    });
  });

  describe('validation', () => {
    let webhookId: string;
    let entrypointId: string;

    beforeAll(async () => {
      const webhook = await createWebhook(alice, 'validation');
      webhookId = webhook.id;
      entrypointId = webhook.entrypoints[0]!.id;
    });

    const cases: [string, object, string, string][] = [
      [
        'a description of 501 characters',
        { description: 'd'.repeat(501) },
        'description',
        'Description must be at most 500 characters long',
      ],
      [
        'a description that is not a string',
        { description: 7 },
        'description',
        'Description must be a string',
      ],
      ['active "yes"', { active: 'yes' }, 'active', 'Active must be true or false'],
      ['active null', { active: null }, 'active', 'Active must be true or false'],
      ['description null', { description: null }, 'description', 'Description must be a string'],
      ['a webhookId', { webhookId: MISSING_ID }, 'webhookId', 'property webhookId should not exist'],
      ['a url', { url: 'https://elsewhere.example.com' }, 'url', 'property url should not exist'],
    ];

    it.each(cases)(
      'refuses to create with %s (400 naming the field)',
      async (_what, body, field, message) => {
        const response = await alice.session
          .post(`/api/v1/webhooks/${webhookId}/entrypoints`, body)
          .expect(400);
        expect(response.body).toMatchObject({ status: 400, detail: message, errors: [{ field, message }] });
        const webhook = await alice.session.get(`/api/v1/webhooks/${webhookId}`).expect(200);
        expect(webhook.body.entrypointCount).toBe(1);
      },
    );

    it.each(cases)(
      'refuses to update with %s (400 naming the field)',
      async (_what, body, field, message) => {
        const before = await alice.session.get(`/api/v1/entrypoints/${entrypointId}`).expect(200);
        const response = await alice.session.patch(`/api/v1/entrypoints/${entrypointId}`, body).expect(400);
        expect(response.body.errors).toEqual([{ field, message }]);
        const after = await alice.session.get(`/api/v1/entrypoints/${entrypointId}`).expect(200);
        expect(after.body).toEqual(before.body);
      },
    );
  });

  describe('update, delete', () => {
    it('changes the description and switches the entrypoint off and on', async () => {
      const webhook = await createWebhook(alice);
      const id = webhook.entrypoints[0]!.id;
      const off = await alice.session
        .patch(`/api/v1/entrypoints/${id}`, { active: false, description: 'paused' })
        .expect(200);
      expect(off.body).toMatchObject({ id, webhookId: webhook.id, active: false, description: 'paused' });
      expect(off.body.url).toBe(webhook.entrypoints[0]!.url);

      const on = await alice.apiKey.patch(`/api/v1/entrypoints/${id}`, { active: true }).expect(200);
      expect(on.body).toMatchObject({ active: true, description: 'paused' });
      const stored = await alice.session.get(`/api/v1/entrypoints/${id}`).expect(200);
      expect(stored.body).toEqual(on.body);
    });

    it('makes an inactive entrypoint answer 410 and an active one accept events again', async () => {
      const webhook = await createWebhook(alice, 'switchable');
      const id = webhook.entrypoints[0]!.id;
      await testApp.request().post(`/webhook/${id}`).send({ n: 1 }).expect(200);
      await alice.session.patch(`/api/v1/entrypoints/${id}`, { active: false }).expect(200);
      const gone = await testApp.request().post(`/webhook/${id}`).send({ n: 2 }).expect(410);
      expect(gone.headers['content-type']).toContain('application/problem+json');
      await alice.session.patch(`/api/v1/entrypoints/${id}`, { active: true }).expect(200);
      await testApp.request().post(`/webhook/${id}`).send({ n: 3 }).expect(200);
      const detail = await alice.session.get(`/api/v1/webhooks/${webhook.id}`).expect(200);
      expect(detail.body.eventCount).toBe(2);
    });

    it('deletes an entrypoint: 204, then 404, and out of the webhook', async () => {
      const webhook = await createWebhook(alice);
      const extra = await alice.session.post(`/api/v1/webhooks/${webhook.id}/entrypoints`, {}).expect(201);
      await alice.session.delete(`/api/v1/entrypoints/${extra.body.id}`).expect(204);

      const gone = await alice.session.get(`/api/v1/entrypoints/${extra.body.id}`).expect(404);
      expect(gone.body.detail).toBe(`Entrypoint ${extra.body.id} not found`);
      await alice.session.patch(`/api/v1/entrypoints/${extra.body.id}`, { active: true }).expect(404);
      await alice.session.delete(`/api/v1/entrypoints/${extra.body.id}`).expect(404);

      const list = await alice.session.get(`/api/v1/webhooks/${webhook.id}/entrypoints`).expect(200);
      expect(list.body.items.map((e: { id: string }) => e.id)).toEqual([webhook.entrypoints[0]!.id]);
      const detail = await alice.session.get(`/api/v1/webhooks/${webhook.id}`).expect(200);
      expect(detail.body.entrypointCount).toBe(1);
    });

    it('answers the entrypoints of a deleted webhook with 404', async () => {
      const webhook = await createWebhook(alice);
      await alice.session.delete(`/api/v1/webhooks/${webhook.id}`).expect(204);
      const id = webhook.entrypoints[0]!.id;
      await alice.session.get(`/api/v1/entrypoints/${id}`).expect(404);
      await alice.session.patch(`/api/v1/entrypoints/${id}`, { active: true }).expect(404);
      await alice.session.get(`/api/v1/webhooks/${webhook.id}/entrypoints`).expect(404);
    });
  });

  describe('ownership', () => {
    let webhook: { id: string; entrypoints: { id: string }[] };

    beforeAll(async () => {
      webhook = await createWebhook(alice, 'alice’s');
    });

    it.each(['session', 'apiKey'] as const)(
      'answers another user’s entrypoints with 404 on every route (%s), and changes nothing',
      async (how) => {
        const client = bob[how];
        const id = webhook.entrypoints[0]!.id;
        for (const request of [
          client.get(`/api/v1/entrypoints/${id}`),
          client.patch(`/api/v1/entrypoints/${id}`, { active: false }),
          client.delete(`/api/v1/entrypoints/${id}`),
        ]) {
          const response = await request.expect(404);
          expect(response.body.detail).toBe(`Entrypoint ${id} not found`);
        }
        for (const request of [
          client.get(`/api/v1/webhooks/${webhook.id}/entrypoints`),
          client.post(`/api/v1/webhooks/${webhook.id}/entrypoints`, { description: 'mine now' }),
        ]) {
          const response = await request.expect(404);
          expect(response.body.detail).toBe(`Webhook ${webhook.id} not found`);
        }
        const list = await alice.session.get(`/api/v1/webhooks/${webhook.id}/entrypoints`).expect(200);
        expect(list.body.items).toEqual([expect.objectContaining({ id, active: true, description: '' })]);
      },
    );

    it('lets an admin see, change and add to any user’s entrypoints', async () => {
      const id = webhook.entrypoints[0]!.id;
      await admin.apiKey.get(`/api/v1/entrypoints/${id}`).expect(200);
      await admin.session.patch(`/api/v1/entrypoints/${id}`, { description: 'checked by admin' }).expect(200);
      const added = await admin.apiKey.post(`/api/v1/webhooks/${webhook.id}/entrypoints`, {}).expect(201);
      const list = await alice.session.get(`/api/v1/webhooks/${webhook.id}/entrypoints`).expect(200);
      expect(list.body.items.map((e: { id: string; description: string }) => [e.id, e.description])).toEqual([
        [added.body.id, ''],
        [id, 'checked by admin'],
      ]);
    });
  });
});
