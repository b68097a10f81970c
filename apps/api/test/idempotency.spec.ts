import { IdempotencyService, REDACTED } from '../src/idempotency/idempotency.service';
import { ADMIN_PASSWORD, startTestApp, TestApp } from './test-app';
import { ApiClient, asUser, createMember, TestUser, withSql } from './fixtures';

/** `Idempotency-Key` on the create calls: a CI pipeline may re-run them safely. */
describe('Idempotency-Key on create calls (HTTP, real PostgreSQL)', () => {
  let testApp: TestApp;
  let admin: TestUser;
  let alice: TestUser;
  let bob: TestUser;
  let webhookId: string;
  let keyCounter = 0;

  beforeAll(async () => {
    testApp = await startTestApp({ ALLOW_PRIVATE_TARGETS: 'true' });
    admin = await asUser(testApp, 'admin', ADMIN_PASSWORD);
    alice = await createMember(testApp, admin, 'alice');
    bob = await createMember(testApp, admin, 'bob');
    webhookId = (await alice.apiKey.post('/api/v1/webhooks', { name: 'base' }).expect(201)).body.id;
  });
  afterAll(() => testApp.close());

  /** A key no other test uses. */
  const newKey = () => `ci-run-42/step-${++keyCounter}`;

  function post(client: ApiClient, path: string, body: object, key: string) {
    return client.post(path, body).set('Idempotency-Key', key);
  }

  async function count(sql: string, params: unknown[]): Promise<number> {
    return withSql(testApp, async (client) => (await client.query(sql, params)).rows[0].count);
  }

  describe.each([
    {
      what: 'a webhook',
      secret: undefined,
      path: () => '/api/v1/webhooks',
      body: { name: 'orders', retentionDays: 14 },
      rows: () => count(`SELECT count(*)::int FROM webhooks WHERE name = 'orders'`, []),
    },
    {
      what: 'an entrypoint',
      secret: undefined,
      path: () => `/api/v1/webhooks/${webhookId}/entrypoints`,
      body: { description: 'from CI' },
      rows: () =>
        count(`SELECT count(*)::int FROM entrypoints WHERE webhook_id = $1 AND description = 'from CI'`, [
          webhookId,
        ]),
    },
    {
      what: 'an http target (with its signing secret)',
      secret: 'signingSecret',
      path: () => `/api/v1/webhooks/${webhookId}/targets`,
      body: { name: 'billing', type: 'http', http: { url: 'http://127.0.0.1:9/billing' } },
      rows: () =>
        count(`SELECT count(*)::int FROM targets WHERE webhook_id = $1 AND name = 'billing'`, [webhookId]),
    },
    {
      what: 'an API key (with the key itself)',
      secret: 'key',
      path: () => '/api/v1/api-keys',
      body: { name: 'deploy key' },
      rows: () => count(`SELECT count(*)::int FROM api_keys WHERE name = 'deploy key'`, []),
    },
  ])('creating $what', ({ what, secret, path, body, rows }) => {
    const key = `provision ${what}`;

    it('replays the first response for the same key and body (a secret redacted), creating one row', async () => {
      const first = await post(alice.apiKey, path(), body, key).expect(201);
      expect(first.headers['idempotent-replayed']).toBeUndefined();
      const replayed = secret ? { ...first.body, [secret]: REDACTED } : first.body;
      if (secret) expect(first.body[secret]).toMatch(/^(whk|whsec)_[A-Za-z0-9+/=_-]{20,}$/);
      const again = await post(alice.apiKey, path(), body, key).expect(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.headers['idempotent-redacted']).toBe(secret);
      expect(again.body).toEqual(replayed);
      // The session and the API keys of one user share their keys.
      const bySession = await post(alice.session, path(), body, key).expect(201);
      expect(bySession.headers['idempotent-replayed']).toBe('true');
      expect(bySession.body).toEqual(replayed);
      expect(await rows()).toBe(1);
      if (secret) {
        const stored = await withSql(testApp, async (sql) => {
          const { rows } = await sql.query(
            `SELECT response_body::text AS body FROM idempotency_keys WHERE key = $1`,
            [key],
          );
          return rows[0].body as string;
        });
        expect(stored).toContain(first.body.id);
        expect(stored).not.toContain(first.body[secret]);
      }
    });

    it('refuses the same key with another body with 422, creating nothing', async () => {
      const response = await post(alice.apiKey, path(), { ...body, name: 'changed' }, key).expect(422);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.body).toEqual({
        type: 'https://webhooker.dev/problems/unprocessable-entity',
        title: 'Unprocessable Entity',
        status: 422,
        detail: `Idempotency-Key "${key}" was already used with a different request; use a new key for a new request`,
      });
      expect(response.headers['idempotent-replayed']).toBeUndefined();
      expect(await rows()).toBe(1);
    });

    it('creates again without a key', async () => {
      await alice.apiKey.post(path(), body).expect(201);
      expect(await rows()).toBe(2);
    });
  });

  it('refuses a key used on another route with 422', async () => {
    const key = newKey();
    await post(alice.apiKey, '/api/v1/webhooks', { name: 'first route' }, key).expect(201);
    const response = await post(alice.apiKey, '/api/v1/api-keys', { name: 'first route' }, key).expect(422);
    expect(response.body.detail).toMatch(/was already used with a different request/);
    const keys = await alice.apiKey.get('/api/v1/api-keys').expect(200);
    expect(keys.body.items.map((k: { name: string }) => k.name)).not.toContain('first route');
  });

  it('keeps keys per user: another user may use the same key and gets their own row', async () => {
    const key = newKey();
    const alices = await post(alice.apiKey, '/api/v1/webhooks', { name: 'same key' }, key).expect(201);
    const bobs = await post(bob.apiKey, '/api/v1/webhooks', { name: 'same key' }, key).expect(201);
    expect(bobs.headers['idempotent-replayed']).toBeUndefined();
    expect(bobs.body.id).not.toBe(alices.body.id);
    expect(bobs.body.ownerId).toBe(bob.id);
    // …and cannot read alice's response through it with another body either.
    const other = await post(bob.apiKey, '/api/v1/webhooks', { name: 'other' }, key).expect(422);
    expect(other.body.detail).toMatch(/already used/);
    expect(await count(`SELECT count(*)::int FROM webhooks WHERE name = 'same key'`, [])).toBe(2);
  });

  it('does not burn a key on a request that fails validation or is not found', async () => {
    const key = newKey();
    const invalid = await post(alice.apiKey, '/api/v1/webhooks', { name: '' }, key).expect(400);
    expect(invalid.body.errors).toEqual([{ field: 'name', message: 'Name must not be empty' }]);
    const otherUsers = await post(
      bob.apiKey,
      `/api/v1/webhooks/${webhookId}/entrypoints`,
      { description: 'not mine' },
      key,
    ).expect(404);
    expect(otherUsers.body.detail).toBe(`Webhook ${webhookId} not found`);

    const fixed = await post(alice.apiKey, '/api/v1/webhooks', { name: 'fixed' }, key).expect(201);
    expect(fixed.headers['idempotent-replayed']).toBeUndefined();
    const replay = await post(alice.apiKey, '/api/v1/webhooks', { name: 'fixed' }, key).expect(201);
    expect(replay.body.id).toBe(fixed.body.id);
    const bobs = await post(bob.apiKey, '/api/v1/webhooks', { name: 'bob fixed' }, key).expect(201);
    expect(bobs.headers['idempotent-replayed']).toBeUndefined();
  });

  it('replays a signing secret rotation instead of rotating twice, without the new secret', async () => {
    const target = await alice.apiKey
      .post(`/api/v1/webhooks/${webhookId}/targets`, {
        name: 'rotating',
        type: 'http',
        http: { url: 'http://127.0.0.1:9/r' },
      })
      .expect(201);
    const key = newKey();
    const path = `/api/v1/targets/${target.body.id}/signing-secrets`;
    const first = await post(alice.apiKey, path, { gracePeriodHours: 2 }, key).expect(201);
    expect(first.body.secret).toMatch(/^whsec_/);
    const again = await post(alice.apiKey, path, { gracePeriodHours: 2 }, key).expect(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.headers['idempotent-redacted']).toBe('secret');
    expect(again.body).toEqual({ ...first.body, secret: REDACTED });
    const secrets = await alice.apiKey.get(path).expect(200);
    expect(secrets.body).toHaveLength(2);
  });

  it('replays a user created with a generated password without the password, and one with a given password as it was', async () => {
    const key = newKey();
    const first = await post(admin.session, '/api/v1/users', { username: 'generated' }, key).expect(201);
    expect(first.body.password).toMatch(/^[A-Za-z0-9_-]{20}$/);
    const again = await post(admin.session, '/api/v1/users', { username: 'generated' }, key).expect(201);
    expect(again.headers['idempotent-redacted']).toBe('password');
    expect(again.body).toEqual({ ...first.body, password: REDACTED });

    const given = newKey();
    const body = { username: 'given', password: 'given-password' };
    const created = await post(admin.session, '/api/v1/users', body, given).expect(201);
    expect(created.body.password).toBeUndefined();
    const replay = await post(admin.session, '/api/v1/users', body, given).expect(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.headers['idempotent-redacted']).toBeUndefined();
    expect(replay.body).toEqual(created.body);
  });

  it('redacts a secret on replay also in a response stored before redaction existed', async () => {
    const key = newKey();
    const first = await post(alice.apiKey, '/api/v1/api-keys', { name: 'stored in clear' }, key).expect(201);
    await withSql(testApp, (sql) =>
      sql.query(`UPDATE idempotency_keys SET response_body = $1 WHERE key = $2`, [
        JSON.stringify(first.body),
        key,
      ]),
    );
    const again = await post(alice.apiKey, '/api/v1/api-keys', { name: 'stored in clear' }, key).expect(201);
    expect(again.body).toEqual({ ...first.body, key: REDACTED });
    expect(again.headers['idempotent-redacted']).toBe('key');
  });

  it('accepts a key of 255 characters and refuses a longer or an empty one with 400', async () => {
    await post(alice.apiKey, '/api/v1/webhooks', { name: 'long key' }, 'k'.repeat(255)).expect(201);
    for (const key of ['k'.repeat(256), '']) {
      const response = await post(alice.apiKey, '/api/v1/webhooks', { name: 'bad key' }, key).expect(400);
      expect(response.body).toMatchObject({
        status: 400,
        detail: 'Idempotency-Key must be 1 to 255 characters long',
      });
    }
    expect(await count(`SELECT count(*)::int FROM webhooks WHERE name = 'bad key'`, [])).toBe(0);
  });

  it('creates once when the same request races itself', async () => {
    const key = newKey();
    const responses = await Promise.all(
      Array.from({ length: 8 }, () => post(alice.apiKey, '/api/v1/webhooks', { name: 'raced' }, key)),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.every((status) => status === 201 || status === 409)).toBe(true);
    const created = responses.filter((r) => r.status === 201);
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(new Set(created.map((r) => r.body.id)).size).toBe(1);
    for (const conflict of responses.filter((r) => r.status === 409)) {
      expect(conflict.body.detail).toBe(
        `A request with Idempotency-Key "${key}" is still being processed; retry shortly`,
      );
    }
    expect(await count(`SELECT count(*)::int FROM webhooks WHERE name = 'raced'`, [])).toBe(1);
    // Once it is done, a retry is a replay.
    const retry = await post(alice.apiKey, '/api/v1/webhooks', { name: 'raced' }, key).expect(201);
    expect(retry.body.id).toBe(created[0]!.body.id);
  });

  it('forgets keys after 24 hours (the hourly cleanup)', async () => {
    const key = newKey();
    await post(alice.apiKey, '/api/v1/webhooks', { name: 'old' }, key).expect(201);
    const fresh = newKey();
    await post(alice.apiKey, '/api/v1/webhooks', { name: 'fresh' }, fresh).expect(201);
    await withSql(testApp, (sql) =>
      sql.query(`UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = $1`, [key]),
    );
    expect(await testApp.app.get(IdempotencyService).deleteExpired()).toBe(1);
    expect(await count(`SELECT count(*)::int FROM idempotency_keys WHERE key = $1`, [key])).toBe(0);
    expect(await count(`SELECT count(*)::int FROM idempotency_keys WHERE key = $1`, [fresh])).toBe(1);
  });
});
