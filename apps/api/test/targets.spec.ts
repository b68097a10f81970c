import { ADMIN_PASSWORD, startTestApp, TestApp } from './test-app';
import {
  asUser,
  createMember,
  deliveryStatuses,
  MISSING_ID,
  seedDelivery,
  seedEvent,
  TestUser,
  withSql,
} from './fixtures';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SECRET = /^whsec_[A-Za-z0-9+/]{43}=$/;
const HOUR = 3_600_000;
const HEALTHY_CIRCUIT = { state: 'closed', consecutiveFailures: 0, openUntil: null, failingSince: null };
const DEFAULTS = {
  method: 'POST',
  headers: {},
  timeoutMs: 15000,
  maxRetries: 24,
  maxBackoffMs: 3600000,
  concurrency: 8,
  rateLimit: null,
};

interface Webhook {
  id: string;
  entrypoints: { id: string }[];
}

async function createWebhook(user: TestUser, name = 'orders'): Promise<Webhook> {
  return (await user.session.post('/api/v1/webhooks', { name }).expect(201)).body;
}

describe('targets API (HTTP, real PostgreSQL, ALLOW_PRIVATE_TARGETS=true)', () => {
  let testApp: TestApp;
  let admin: TestUser;
  let alice: TestUser;
  let bob: TestUser;
  let webhook: Webhook;

  beforeAll(async () => {
    testApp = await startTestApp({ ALLOW_PRIVATE_TARGETS: 'true' });
    admin = await asUser(testApp, 'admin', ADMIN_PASSWORD);
    alice = await createMember(testApp, admin, 'alice');
    bob = await createMember(testApp, admin, 'bob');
    webhook = await createWebhook(alice);
  });
  afterAll(() => testApp.close());

  function createTarget(user: TestUser, body: object, webhookId = webhook.id) {
    return user.session.post(`/api/v1/webhooks/${webhookId}/targets`, body);
  }

  describe('create', () => {
    it('creates an http target with every default and a signing secret shown this once', async () => {
      const response = await createTarget(alice, {
        name: 'Billing service',
        type: 'http',
        http: { url: 'http://127.0.0.1:9/hooks' },
      }).expect(201);
      const target = response.body;
      expect(target).toEqual({
        id: expect.stringMatching(UUID),
        key: null,
        webhookId: webhook.id,
        name: 'Billing service',
        type: 'http',
        active: true,
        http: { url: 'http://127.0.0.1:9/hooks', ...DEFAULTS },
        filter: null,
        transform: null,
        signingSecret: expect.stringMatching(SECRET),
        signingSecrets: [
          {
            id: expect.stringMatching(UUID),
            prefix: target.signingSecret.slice(0, 10),
            createdAt: expect.any(String),
            expiresAt: null,
          },
        ],
        circuit: HEALTHY_CIRCUIT,
        disabledReason: null,
        disabledAt: null,
        pausedDeliveries: 0,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      expect(Buffer.from(target.signingSecret.slice('whsec_'.length), 'base64')).toHaveLength(32);

      // Never again: not in get, list, or the secrets list.
      const { signingSecret, ...shown } = target;
      const fetched = await alice.session.get(`/api/v1/targets/${target.id}`).expect(200);
      expect(fetched.body).toEqual(shown);
      const list = await alice.session.get(`/api/v1/webhooks/${webhook.id}/targets`).expect(200);
      const secrets = await alice.session.get(`/api/v1/targets/${target.id}/signing-secrets`).expect(200);
      expect(secrets.body).toEqual(shown.signingSecrets);
      for (const body of [fetched.body, list.body, secrets.body]) {
        expect(JSON.stringify(body)).not.toContain(signingSecret.slice(10));
      }
    });

    it('takes a rate limit (burst defaults to the rate rounded up), refuses a bad one, and removes it with null', async () => {
      const created = await alice.apiKey
        .post(`/api/v1/webhooks/${webhook.id}/targets`, {
          name: 'limited',
          type: 'http',
          http: { url: 'https://billing.example.com/hooks', rateLimit: { perSecond: 2.5 } },
        })
        .expect(201);
      expect(created.body.http.rateLimit).toEqual({ perSecond: 2.5, burst: 3 });
      const bad = await alice.apiKey
        .patch(`/api/v1/targets/${created.body.id}`, { http: { rateLimit: { perSecond: 0, burst: 0 } } })
        .expect(400);
      expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual([
        'http.rateLimit.burst',
        'http.rateLimit.perSecond',
      ]);
      const removed = await alice.apiKey
        .patch(`/api/v1/targets/${created.body.id}`, { http: { rateLimit: null } })
        .expect(200);
      expect(removed.body.http.rateLimit).toBeNull();
      const plain = await alice.apiKey.get(`/api/v1/targets/${created.body.id}`).expect(200);
      expect(plain.body.http).toMatchObject({ url: 'https://billing.example.com/hooks', rateLimit: null });
    });

    it('keeps every http setting it is given, at the bounds too', async () => {
      const low = {
        url: 'https://billing.example.com/hooks?source=webhooker',
        method: 'PUT',
        headers: { 'x-api-token': 's3cr3t', Authorization: 'Bearer abc' },
        timeoutMs: 1000,
        maxRetries: 0,
        maxBackoffMs: 1000,
        concurrency: 1,
      };
      const created = await alice.apiKey
        .post(`/api/v1/webhooks/${webhook.id}/targets`, {
          name: 'low',
          type: 'http',
          active: false,
          http: low,
        })
        .expect(201);
      expect(created.body).toMatchObject({
        active: false,
        http: { ...low, headers: { 'x-api-token': 's3cr3t', authorization: 'Bearer abc' } },
      });

      const high = {
        url: 'http://[::1]:8080/',
        method: 'PATCH',
        headers: {},
        timeoutMs: 120000,
        maxRetries: 50,
        maxBackoffMs: 86400000,
        concurrency: 256,
        rateLimit: null,
      };
      const highCreated = await createTarget(alice, { name: 'high', type: 'http', http: high }).expect(201);
      expect(highCreated.body.http).toEqual(high);
    });

    it.each(['database', 'log'] as const)(
      'creates a %s target with no http settings and no signing secret',
      async (type) => {
        const response = await createTarget(alice, { name: `${type} copy`, type }).expect(201);
        expect(response.body).toEqual({
          id: expect.stringMatching(UUID),
          key: null,
          webhookId: webhook.id,
          name: `${type} copy`,
          type,
          active: true,
          http: null,
          filter: null,
          transform: null,
          signingSecrets: [],
          circuit: HEALTHY_CIRCUIT,
          disabledReason: null,
          disabledAt: null,
          pausedDeliveries: 0,
          createdAt: expect.any(String),
          updatedAt: expect.any(String),
        });
        const secrets = await alice.session
          .get(`/api/v1/targets/${response.body.id}/signing-secrets`)
          .expect(200);
        expect(secrets.body).toEqual([]);
      },
    );

    it.each(['database', 'log'] as const)('refuses http settings on a %s target', async (type) => {
      const response = await createTarget(alice, {
        name: 'confused',
        type,
        http: { url: 'https://billing.example.com/hooks' },
      }).expect(400);
      expect(response.body).toMatchObject({
        status: 400,
        detail: `http is not allowed for a ${type} target`,
        errors: [{ field: 'http', message: `http is not allowed for a ${type} target` }],
      });
    });
  });

  describe('validation', () => {
    const http = (settings: object) => ({
      name: 'bad',
      type: 'http',
      http: { url: 'https://ok.example.com', ...settings },
    });
    const cases: [string, object, string, string][] = [
      ['no name', { type: 'log' }, 'name', 'Name is required'],
      [
        'a name of 101 characters',
        { name: 'n'.repeat(101), type: 'log' },
        'name',
        'Name must be at most 100 characters long',
      ],
      ['no type', { name: 'bad' }, 'type', 'Type is required'],
      ['type "email"', { name: 'bad', type: 'email' }, 'type', 'Type must be one of http, database, log'],
      ['an http target without http', { name: 'bad', type: 'http' }, 'http', 'HTTP is required'],
      [
        'http that is a string',
        { name: 'bad', type: 'http', http: 'https://ok.example.com' },
        'http',
        'HTTP is required for an http target',
      ],
      [
        'an http target without http.url',
        { name: 'bad', type: 'http', http: {} },
        'http.url',
        'http.url is required',
      ],
      [
        'http.url that is not a URL',
        http({ url: 'not a url' }),
        'http.url',
        'URL must be an absolute http or https URL',
      ],
      [
        'an ftp:// http.url',
        http({ url: 'ftp://files.example.com/in' }),
        'http.url',
        'URL must be an absolute http or https URL',
      ],
      [
        'http.url without a scheme',
        http({ url: 'billing.example.com/hooks' }),
        'http.url',
        'URL must be an absolute http or https URL',
      ],
      [
        'http.url of 2049 characters',
        http({ url: `https://ok.example.com/${'p'.repeat(2026)}` }),
        'http.url',
        'URL must be at most 2048 characters long',
      ],
      ['http.method GET', http({ method: 'GET' }), 'http.method', 'Method must be one of POST, PUT, PATCH'],
      [
        'http.timeoutMs 999',
        http({ timeoutMs: 999 }),
        'http.timeoutMs',
        'Timeout (ms) must be at least 1000',
      ],
      [
        'http.timeoutMs 120001',
        http({ timeoutMs: 120001 }),
        'http.timeoutMs',
        'Timeout (ms) must be at most 120000',
      ],
      [
        'http.timeoutMs "5000"',
        http({ timeoutMs: '5000' }),
        'http.timeoutMs',
        'Timeout (ms) must be a whole number',
      ],
      ['http.maxRetries -1', http({ maxRetries: -1 }), 'http.maxRetries', 'Max retries must be at least 0'],
      ['http.maxRetries 51', http({ maxRetries: 51 }), 'http.maxRetries', 'Max retries must be at most 50'],
      [
        'http.maxBackoffMs 999',
        http({ maxBackoffMs: 999 }),
        'http.maxBackoffMs',
        'Max backoff (ms) must be at least 1000',
      ],
      [
        'http.maxBackoffMs over 24 h',
        http({ maxBackoffMs: 86400001 }),
        'http.maxBackoffMs',
        'Max backoff (ms) must be at most 86400000',
      ],
      ['http.concurrency 0', http({ concurrency: 0 }), 'http.concurrency', 'Concurrency must be at least 1'],
      [
        'http.concurrency 257',
        http({ concurrency: 257 }),
        'http.concurrency',
        'Concurrency must be at most 256',
      ],
      [
        'a host header',
        http({ headers: { host: 'evil.example.com' } }),
        'http.headers',
        'Headers cannot set "host": webhooker sets it',
      ],
      [
        'a Webhook-Signature header',
        http({ headers: { 'Webhook-Signature': 'v1,x' } }),
        'http.headers',
        'Headers cannot set "Webhook-Signature": webhooker sets it',
      ],
      [
        'a Content-Length header',
        http({ headers: { 'Content-Length': '1' } }),
        'http.headers',
        'Headers cannot set "Content-Length": webhooker sets it',
      ],
      [
        'a header name with a space',
        http({ headers: { 'x bad': '1' } }),
        'http.headers',
        'Headers have an invalid header name "x bad"',
      ],
      [
        'a header value with a newline',
        http({ headers: { 'x-note': 'a\r\nx-injected: 1' } }),
        'http.headers',
        'Headers "x-note" must not contain line breaks',
      ],
      [
        'a header value that is a number',
        http({ headers: { 'x-count': 1 } }),
        'http.headers',
        'Headers "x-count" must be a string',
      ],
      [
        'headers that are a list',
        http({ headers: ['x-a: 1'] }),
        'http.headers',
        'Headers must be an object of header names to values',
      ],
      [
        '51 headers',
        http({ headers: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`x-h${i}`, 'v'])) }),
        'http.headers',
        'Headers may have at most 50 headers',
      ],
      [
        'a header value of 4097 characters',
        http({ headers: { 'x-long': 'v'.repeat(4097) } }),
        'http.headers',
        'Headers "x-long" is longer than 4096 characters',
      ],
      ['an unknown http field', http({ retries: 3 }), 'http.retries', 'property retries should not exist'],
      [
        'an unknown field',
        { name: 'bad', type: 'log', url: 'https://ok.example.com' },
        'url',
        'property url should not exist',
      ],
      [
        'signingSecrets',
        { name: 'bad', type: 'log', signingSecrets: [] },
        'signingSecrets',
        'property signingSecrets should not exist',
      ],
      ['active "yes"', { name: 'bad', type: 'log', active: 'yes' }, 'active', 'Active must be true or false'],
    ];

    it.each(cases)(
      'refuses to create with %s (400 naming the field), creating nothing',
      async (_what, body, field, message) => {
        const before = await alice.session.get(`/api/v1/webhooks/${webhook.id}`).expect(200);
        const response = await createTarget(alice, body).expect(400);
        expect(response.headers['content-type']).toContain('application/problem+json');
        expect(response.body).toEqual({
          type: 'https://webhooker.dev/problems/validation-failed',
          title: 'Bad Request',
          status: 400,
          detail: message,
          errors: [{ field, message }],
        });
        const after = await alice.session.get(`/api/v1/webhooks/${webhook.id}`).expect(200);
        expect(after.body.targetCount).toBe(before.body.targetCount);
      },
    );

    it('names every field at fault at once', async () => {
      const response = await createTarget(alice, {
        name: '',
        type: 'http',
        http: { url: 'ftp://x.example.com', concurrency: 0 },
      }).expect(400);
      expect(response.body.errors).toEqual([
        { field: 'name', message: 'Name must not be empty' },
        { field: 'http.url', message: 'URL must be an absolute http or https URL' },
        { field: 'http.concurrency', message: 'Concurrency must be at least 1' },
      ]);
    });
  });

  describe('list, get', () => {
    it('lists a webhook’s targets newest first and pages them with limit and cursor', async () => {
      const own = await createWebhook(alice, 'paged');
      const ids: string[] = [];
      for (const name of ['one', 'two', 'three', 'four', 'five']) {
        ids.unshift((await createTarget(alice, { name, type: 'log' }, own.id).expect(201)).body.id);
      }
      const seen: string[] = [];
      const sizes: number[] = [];
      let cursor: string | null = null;
      do {
        const query: string = cursor ? `?limit=2&cursor=${cursor}` : '?limit=2';
        const page = await alice.apiKey.get(`/api/v1/webhooks/${own.id}/targets${query}`).expect(200);
        sizes.push(page.body.items.length);
        seen.push(...page.body.items.map((t: { id: string }) => t.id));
        cursor = page.body.nextCursor;
      } while (cursor);
      expect(sizes).toEqual([2, 2, 1]);
      expect(seen).toEqual(ids);

      const bad = await alice.apiKey.get(`/api/v1/webhooks/${own.id}/targets?cursor=garbage`).expect(400);
      expect(bad.body.detail).toBe('cursor is not valid');
      const tooMany = await alice.apiKey.get(`/api/v1/webhooks/${own.id}/targets?limit=201`).expect(400);
      expect(tooMany.body.errors).toEqual([{ field: 'limit', message: 'Limit must be at most 200' }]);
    });

    it('answers an unknown target with 404 and malformed ids with 400', async () => {
      const missing = await alice.session.get(`/api/v1/targets/${MISSING_ID}`).expect(404);
      expect(missing.body).toEqual({
        type: 'https://webhooker.dev/problems/not-found',
        title: 'Not Found',
        status: 404,
        detail: `Target ${MISSING_ID} not found`,
      });
      for (const request of [
        alice.session.get('/api/v1/targets/123'),
        alice.session.patch('/api/v1/targets/123', { name: 'x' }),
        alice.session.delete('/api/v1/targets/123'),
        alice.session.post('/api/v1/targets/123/activate'),
        alice.session.post('/api/v1/targets/123/signing-secrets', {}),
        alice.session.get('/api/v1/webhooks/123/targets'),
        alice.session.post('/api/v1/webhooks/123/targets', { name: 'x', type: 'log' }),
      ]) {
        const response = await request.expect(400);
        expect(response.body.detail).toBe('Validation failed (uuid is expected)');
      }
    });
  });

  describe('update, activate, deactivate', () => {
    it('changes only the http settings it is given; the rest keep their value', async () => {
      const created = await createTarget(alice, {
        name: 'partial',
        type: 'http',
        http: { url: 'https://billing.example.com/a', headers: { 'x-one': '1' }, maxRetries: 3 },
      }).expect(201);
      const id = created.body.id;

      const timeout = await alice.session
        .patch(`/api/v1/targets/${id}`, { http: { timeoutMs: 5000 } })
        .expect(200);
      expect(timeout.body.http).toEqual({
        ...DEFAULTS,
        url: 'https://billing.example.com/a',
        headers: { 'x-one': '1' },
        maxRetries: 3,
        timeoutMs: 5000,
      });

      const moved = await alice.apiKey
        .patch(`/api/v1/targets/${id}`, {
          name: 'renamed',
          http: { url: 'https://billing.example.com/b', headers: { 'x-two': '2' } },
        })
        .expect(200);
      expect(moved.body).toMatchObject({
        name: 'renamed',
        active: true,
        http: {
          ...DEFAULTS,
          url: 'https://billing.example.com/b',
          headers: { 'x-two': '2' },
          maxRetries: 3,
          timeoutMs: 5000,
        },
      });
      expect(moved.body.signingSecrets).toEqual(created.body.signingSecrets);

      const stored = await alice.session.get(`/api/v1/targets/${id}`).expect(200);
      expect(stored.body).toEqual(moved.body);
    });

    it('refuses a bad change with 400 naming the field, and changes nothing', async () => {
      const created = await createTarget(alice, {
        name: 'guarded',
        type: 'http',
        http: { url: 'https://billing.example.com/a' },
      }).expect(201);
      const id = created.body.id;
      const { signingSecret: _secret, ...before } = created.body;
      for (const [body, field, message] of [
        [{ http: { url: 'ftp://x.example.com' } }, 'http.url', 'URL must be an absolute http or https URL'],
        [{ http: { maxRetries: 51 } }, 'http.maxRetries', 'Max retries must be at most 50'],
        [
          { http: { headers: { host: 'x' } } },
          'http.headers',
          'Headers cannot set "host": webhooker sets it',
        ],
        [{ type: 'log' }, 'type', 'property type should not exist'],
        [{ webhookId: MISSING_ID }, 'webhookId', 'property webhookId should not exist'],
        [{ name: '' }, 'name', 'Name must not be empty'],
        [{ name: null }, 'name', 'Name must be a string'],
        [{ active: null }, 'active', 'Active must be true or false'],
        [{ http: null }, 'http', 'HTTP must be an object'],
        [{ http: { url: null } }, 'http.url', 'URL must be an absolute http or https URL'],
        [{ http: { timeoutMs: null } }, 'http.timeoutMs', 'Timeout (ms) must be a whole number'],
      ] as const) {
        const response = await alice.session.patch(`/api/v1/targets/${id}`, body).expect(400);
        expect(response.body.errors).toEqual([{ field, message }]);
      }
      const stored = await alice.session.get(`/api/v1/targets/${id}`).expect(200);
      expect(stored.body).toEqual(before);
    });

    it('refuses http settings on a database target', async () => {
      const created = await createTarget(alice, { name: 'archive', type: 'database' }).expect(201);
      const response = await alice.session
        .patch(`/api/v1/targets/${created.body.id}`, { http: { url: 'https://billing.example.com' } })
        .expect(400);
      expect(response.body.errors).toEqual([
        { field: 'http', message: 'http is not allowed for a database target' },
      ]);
      const stored = await alice.session.get(`/api/v1/targets/${created.body.id}`).expect(200);
      expect(stored.body.http).toBeNull();
    });

    it('deactivates and activates a target', async () => {
      const created = await createTarget(alice, { name: 'switch', type: 'log' }).expect(201);
      const id = created.body.id;
      const off = await alice.session.post(`/api/v1/targets/${id}/deactivate`).expect(200);
      expect(off.body).toEqual({ ...created.body, active: false, updatedAt: expect.any(String) });
      expect((await alice.session.get(`/api/v1/targets/${id}`).expect(200)).body.active).toBe(false);
      await alice.apiKey.post(`/api/v1/targets/${id}/deactivate`).expect(200);

      const on = await alice.apiKey.post(`/api/v1/targets/${id}/activate`).expect(200);
      expect(on.body.active).toBe(true);
      expect((await alice.session.get(`/api/v1/targets/${id}`).expect(200)).body.active).toBe(true);
      const patched = await alice.session.patch(`/api/v1/targets/${id}`, { active: false }).expect(200);
      expect(patched.body.active).toBe(false);
    });
  });

  describe('signing secrets', () => {
    async function createHttpTarget() {
      const response = await createTarget(alice, {
        name: 'signed',
        type: 'http',
        http: { url: 'https://billing.example.com/signed' },
      }).expect(201);
      return response.body as { id: string; signingSecret: string; signingSecrets: { id: string }[] };
    }

    it('rotates: the new secret first, the old one kept with expiresAt = now + 24 h', async () => {
      const target = await createHttpTarget();
      const first = target.signingSecrets[0]!;
      const before = Date.now();
      const rotated = await alice.session
        .post(`/api/v1/targets/${target.id}/signing-secrets`, {})
        .expect(201);
      const after = Date.now();
      expect(rotated.body).toEqual({
        id: expect.stringMatching(UUID),
        prefix: rotated.body.secret.slice(0, 10),
        secret: expect.stringMatching(SECRET),
        createdAt: expect.any(String),
        expiresAt: null,
      });
      expect(rotated.body.secret).not.toBe(target.signingSecret);

      const list = await alice.session.get(`/api/v1/targets/${target.id}/signing-secrets`).expect(200);
      expect(list.body.map((s: { id: string }) => s.id)).toEqual([rotated.body.id, first.id]);
      expect(list.body[0].expiresAt).toBeNull();
      const expiresAt = Date.parse(list.body[1].expiresAt);
      expect(expiresAt).toBeGreaterThanOrEqual(before + 24 * HOUR);
      expect(expiresAt).toBeLessThanOrEqual(after + 24 * HOUR);
      expect(JSON.stringify(list.body)).not.toContain(rotated.body.secret.slice(10));

      const fetched = await alice.session.get(`/api/v1/targets/${target.id}`).expect(200);
      expect(fetched.body.signingSecrets).toEqual(list.body);
    });

    it('honours gracePeriodHours: 1 h, and 0 retires the old secret at once', async () => {
      const target = await createHttpTarget();
      const before = Date.now();
      await alice.apiKey
        .post(`/api/v1/targets/${target.id}/signing-secrets`, { gracePeriodHours: 1 })
        .expect(201);
      const list = await alice.session.get(`/api/v1/targets/${target.id}/signing-secrets`).expect(200);
      expect(list.body).toHaveLength(2);
      expect(Date.parse(list.body[1].expiresAt) - before).toBeGreaterThanOrEqual(HOUR);
      expect(Date.parse(list.body[1].expiresAt) - before).toBeLessThan(HOUR + 10_000);

      const now = await alice.apiKey
        .post(`/api/v1/targets/${target.id}/signing-secrets`, { gracePeriodHours: 0 })
        .expect(201);
      const after = await alice.session.get(`/api/v1/targets/${target.id}/signing-secrets`).expect(200);
      expect(after.body.map((s: { id: string }) => s.id)).toEqual([now.body.id]);
    });

    it.each([
      [{ gracePeriodHours: -1 }, 'Grace period hours must be at least 0'],
      [{ gracePeriodHours: 721 }, 'Grace period hours must be at most 720'],
      [{ gracePeriodHours: 1.5 }, 'Grace period hours must be a whole number'],
      [{ gracePeriodHours: null }, 'Grace period hours must be a whole number'],
      [{ secret: 'whsec_mine' }, 'property secret should not exist'],
    ])('refuses to rotate with %j', async (body, message) => {
      const target = await createHttpTarget();
      const response = await alice.session
        .post(`/api/v1/targets/${target.id}/signing-secrets`, body)
        .expect(400);
      expect(response.body.errors).toEqual([{ field: Object.keys(body)[0], message }]);
      const list = await alice.session.get(`/api/v1/targets/${target.id}/signing-secrets`).expect(200);
      expect(list.body).toHaveLength(1);
    });

    it('keeps at most 10 secrets, dropping the oldest', async () => {
      const target = await createHttpTarget();
      const created: string[] = [target.signingSecrets[0]!.id];
      for (let i = 0; i < 11; i++) {
        created.unshift(
          (await alice.apiKey.post(`/api/v1/targets/${target.id}/signing-secrets`, {}).expect(201)).body.id,
        );
      }
      const list = await alice.session.get(`/api/v1/targets/${target.id}/signing-secrets`).expect(200);
      expect(list.body.map((s: { id: string }) => s.id)).toEqual(created.slice(0, 10));
    });

    it('refuses to rotate the secret of a target that does not sign', async () => {
      const log = await createTarget(alice, { name: 'unsigned', type: 'log' }).expect(201);
      const response = await alice.session
        .post(`/api/v1/targets/${log.body.id}/signing-secrets`, {})
        .expect(400);
      expect(response.body.detail).toBe('A log target does not sign requests');
    });

    it('revokes a secret at once; an unknown secret is a 404', async () => {
      const target = await createHttpTarget();
      const rotated = await alice.session
        .post(`/api/v1/targets/${target.id}/signing-secrets`, {})
        .expect(201);
      const old = target.signingSecrets[0]!.id;
      await alice.session.delete(`/api/v1/targets/${target.id}/signing-secrets/${old}`).expect(204);
      const list = await alice.session.get(`/api/v1/targets/${target.id}/signing-secrets`).expect(200);
      expect(list.body.map((s: { id: string }) => s.id)).toEqual([rotated.body.id]);

      const again = await alice.session
        .delete(`/api/v1/targets/${target.id}/signing-secrets/${old}`)
        .expect(404);
      expect(again.body.detail).toBe(`Signing secret ${old} not found`);
      const malformed = await alice.session
        .delete(`/api/v1/targets/${target.id}/signing-secrets/x`)
        .expect(400);
      expect(malformed.body.detail).toBe('Validation failed (uuid is expected)');

      await alice.apiKey
        .delete(`/api/v1/targets/${target.id}/signing-secrets/${rotated.body.id}`)
        .expect(204);
      const none = await alice.session.get(`/api/v1/targets/${target.id}`).expect(200);
      expect(none.body.signingSecrets).toEqual([]);
    });
  });

  describe('delete', () => {
    it('soft-deletes the target and cancels its unfinished deliveries, and only those', async () => {
      const own = await createWebhook(alice, 'deliveries');
      const doomed = await createTarget(alice, { name: 'doomed', type: 'log' }, own.id).expect(201);
      const kept = await createTarget(alice, { name: 'kept', type: 'log' }, own.id).expect(201);
      const seeded = await withSql(testApp, async (sql) => {
        const eventId = await seedEvent(sql, own.id, own.entrypoints[0]!.id);
        const base = { eventId, webhookId: own.id };
        const doomedIds: Record<string, string> = {};
        for (const status of ['pending', 'retrying', 'delivered', 'failed']) {
          doomedIds[status] = await seedDelivery(sql, { ...base, targetId: doomed.body.id, status });
        }
        const keptPending = await seedDelivery(sql, { ...base, targetId: kept.body.id, status: 'pending' });
        return { doomedIds, keptPending };
      });

      await alice.session.delete(`/api/v1/targets/${doomed.body.id}`).expect(204);

      const gone = await alice.session.get(`/api/v1/targets/${doomed.body.id}`).expect(404);
      expect(gone.body.detail).toBe(`Target ${doomed.body.id} not found`);
      await alice.session.delete(`/api/v1/targets/${doomed.body.id}`).expect(404);
      await alice.session.post(`/api/v1/targets/${doomed.body.id}/activate`).expect(404);
      const list = await alice.session.get(`/api/v1/webhooks/${own.id}/targets`).expect(200);
      expect(list.body.items.map((t: { id: string }) => t.id)).toEqual([kept.body.id]);
      expect((await alice.session.get(`/api/v1/webhooks/${own.id}`).expect(200)).body.targetCount).toBe(1);

      await withSql(testApp, async (sql) => {
        const { doomedIds, keptPending } = seeded;
        expect(await deliveryStatuses(sql, [...Object.values(doomedIds), keptPending])).toEqual({
          [doomedIds.pending!]: 'cancelled',
          [doomedIds.retrying!]: 'cancelled',
          [doomedIds.delivered!]: 'delivered',
          [doomedIds.failed!]: 'failed',
          [keptPending]: 'pending',
        });
        const { rows: cancelled } = await sql.query(
          `SELECT next_attempt_at, lease_expires_at, leased_by FROM deliveries WHERE id = ANY($1::uuid[])`,
          [[doomedIds.pending, doomedIds.retrying]],
        );
        expect(cancelled).toEqual([
          { next_attempt_at: null, lease_expires_at: null, leased_by: null },
          { next_attempt_at: null, lease_expires_at: null, leased_by: null },
        ]);
        const { rows: target } = await sql.query(`SELECT deleted_at FROM targets WHERE id = $1`, [
          doomed.body.id,
        ]);
        expect(target[0].deleted_at).toBeInstanceOf(Date);
      });
    });

    it('answers the targets of a deleted webhook with 404', async () => {
      const own = await createWebhook(alice, 'short-lived');
      const target = await createTarget(alice, { name: 'orphan', type: 'log' }, own.id).expect(201);
      await alice.session.delete(`/api/v1/webhooks/${own.id}`).expect(204);
      await alice.session.get(`/api/v1/targets/${target.body.id}`).expect(404);
      await alice.session.patch(`/api/v1/targets/${target.body.id}`, { name: 'x' }).expect(404);
      await alice.session.post(`/api/v1/targets/${target.body.id}/activate`).expect(404);
    });
  });

  describe('ownership', () => {
    let target: { id: string; signingSecrets: { id: string }[] };

    beforeAll(async () => {
      target = (
        await createTarget(alice, {
          name: 'alice’s',
          type: 'http',
          http: { url: 'https://a.example.com' },
        }).expect(201)
      ).body;
    });

    it.each(['session', 'apiKey'] as const)(
      'answers another user’s targets with 404 on every route (%s), and changes nothing',
      async (how) => {
        const client = bob[how];
        const path = `/api/v1/targets/${target.id}`;
        for (const request of [
          client.get(path),
          client.patch(path, { name: 'mine' }),
          client.delete(path),
          client.post(`${path}/activate`),
          client.post(`${path}/deactivate`),
          client.post(`${path}/signing-secrets`, {}),
          client.get(`${path}/signing-secrets`),
          client.delete(`${path}/signing-secrets/${target.signingSecrets[0]!.id}`),
        ]) {
          const response = await request.expect(404);
          expect(response.body.detail).toBe(`Target ${target.id} not found`);
        }
        for (const request of [
          client.get(`/api/v1/webhooks/${webhook.id}/targets`),
          client.post(`/api/v1/webhooks/${webhook.id}/targets`, { name: 'spy', type: 'log' }),
        ]) {
          const response = await request.expect(404);
          expect(response.body.detail).toBe(`Webhook ${webhook.id} not found`);
        }
        const stored = await alice.session.get(path).expect(200);
        expect(stored.body).toMatchObject({
          name: 'alice’s',
          active: true,
          signingSecrets: target.signingSecrets,
        });
        const names = await alice.session.get(`/api/v1/webhooks/${webhook.id}/targets?limit=200`).expect(200);
        expect(names.body.items.map((t: { name: string }) => t.name)).not.toContain('spy');
      },
    );

    it('lets an admin manage any user’s targets', async () => {
      await admin.apiKey.get(`/api/v1/targets/${target.id}`).expect(200);
      const off = await admin.session.post(`/api/v1/targets/${target.id}/deactivate`).expect(200);
      expect(off.body.active).toBe(false);
      await admin.apiKey.post(`/api/v1/targets/${target.id}/signing-secrets`, {}).expect(201);
      const list = await alice.session.get(`/api/v1/targets/${target.id}/signing-secrets`).expect(200);
      expect(list.body).toHaveLength(2);
      const added = await admin.apiKey
        .post(`/api/v1/webhooks/${webhook.id}/targets`, { name: 'added by admin', type: 'log' })
        .expect(201);
      await alice.session.get(`/api/v1/targets/${added.body.id}`).expect(200);
    });
  });
});

describe('targets API: SSRF guard (HTTP, real PostgreSQL, private targets not allowed)', () => {
  let testApp: TestApp;
  let admin: TestUser;
  let webhook: Webhook;

  beforeAll(async () => {
    testApp = await startTestApp();
    admin = await asUser(testApp, 'admin', ADMIN_PASSWORD);
    webhook = await createWebhook(admin);
  });
  afterAll(() => testApp.close());

  const HINT = 'is not a public address (set ALLOW_PRIVATE_TARGETS=true or ALLOWED_TARGET_CIDRS to allow it)';

  it.each([
    ['http://127.0.0.1:8080/hooks', `http.url is not allowed: 127.0.0.1 ${HINT}`],
    ['http://10.0.0.5/hooks', `http.url is not allowed: 10.0.0.5 ${HINT}`],
    ['http://192.168.1.20/', `http.url is not allowed: 192.168.1.20 ${HINT}`],
    ['http://169.254.169.254/latest/meta-data/', `http.url is not allowed: 169.254.169.254 ${HINT}`],
    ['http://100.64.0.1/', `http.url is not allowed: 100.64.0.1 ${HINT}`],
    ['http://[::1]:8080/', `http.url is not allowed: ::1 ${HINT}`],
    ['http://[fd00::1]/', `http.url is not allowed: fd00::1 ${HINT}`],
    ['http://[::ffff:10.0.0.1]/', `http.url is not allowed: ::ffff:a00:1 ${HINT}`],
  ])('refuses %s with 400 naming http.url', async (url, message) => {
    const response = await admin.session
      .post(`/api/v1/webhooks/${webhook.id}/targets`, { name: 'internal', type: 'http', http: { url } })
      .expect(400);
    expect(response.body.errors).toEqual([{ field: 'http.url', message }]);
  });

  it('refuses a host name that resolves to a loopback address', async () => {
    const response = await admin.session
      .post(`/api/v1/webhooks/${webhook.id}/targets`, {
        name: 'internal',
        type: 'http',
        http: { url: 'http://localhost:3000/hooks' },
      })
      .expect(400);
    expect(response.body.errors).toEqual([
      {
        field: 'http.url',
        message: expect.stringMatching(
          /^http\.url is not allowed: localhost resolves to (127\.0\.0\.1|::1) is not a public address/,
        ),
      },
    ]);
    const list = await admin.session.get(`/api/v1/webhooks/${webhook.id}/targets`).expect(200);
    expect(list.body.items).toEqual([]);
  });

  it('accepts a public address, and refuses to move it to a private one', async () => {
    const created = await admin.session
      .post(`/api/v1/webhooks/${webhook.id}/targets`, {
        name: 'public',
        type: 'http',
        http: { url: 'https://93.184.215.14/hooks' },
      })
      .expect(201);
    const response = await admin.session
      .patch(`/api/v1/targets/${created.body.id}`, { http: { url: 'http://127.0.0.1:9/' } })
      .expect(400);
    expect(response.body.errors).toEqual([
      { field: 'http.url', message: `http.url is not allowed: 127.0.0.1 ${HINT}` },
    ]);
    const stored = await admin.session.get(`/api/v1/targets/${created.body.id}`).expect(200);
    expect(stored.body.http.url).toBe('https://93.184.215.14/hooks');
  });
});
