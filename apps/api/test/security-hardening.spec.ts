// The default import is node:crypto itself (the one src/users/password.ts calls), so it can be spied on.
import crypto, { randomBytes } from 'node:crypto';
import { Client as PgClient } from 'pg';
import type { Response } from 'supertest';
import { getRepositoryToken } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { ApiKey } from '../src/api-keys/api-key.entity';
import { SESSION_COOKIE } from '../src/auth/session.middleware';
import { hashPassword, verifyPassword } from '../src/users/password';
import { asUser, createMember, eventually, MISSING_ID, TestUser, withSql } from './fixtures';
import { ADMIN_PASSWORD, login, startTestApp, TestApp } from './test-app';

/**
 * Fault isolation, security part: login limits, bounded password hashing and its cost, the session
 * cookie and store, /metrics, and admins' control of API keys. (Redacted idempotent replays: idempotency.spec.ts.)
 */
describe('security hardening (HTTP, real PostgreSQL)', () => {
  describe('login limits', () => {
    it('limits attempts per address whatever the username, besides per address and username', async () => {
      const limited = await startTestApp({ LOGIN_RATE_LIMIT: '2', LOGIN_RATE_LIMIT_PER_ADDRESS: '5' });
      try {
        const attempt = (username: string, password = 'wrong-password') =>
          limited.request().post('/api/v1/auth/login').send({ username, password });
        for (let i = 0; i < 2; i++) expect((await attempt('admin')).status).toBe(401);
        const sameUser = await attempt('admin');
        expect(sameUser.status).toBe(429);
        expect(sameUser.body.detail).toBe('Too many login attempts; wait a minute and try again');

        for (const username of ['carol', 'dave', 'erin']) expect((await attempt(username)).status).toBe(401);
        for (const [username, password] of [
          ['frank', 'wrong-password'],
          ['nobody-else', ADMIN_PASSWORD],
        ]) {
          const blocked = await attempt(username!, password);
          expect(blocked.status).toBe(429);
          expect(blocked.headers['content-type']).toContain('application/problem+json');
          expect(blocked.body.detail).toBe(
            'Too many login attempts from this address; wait a minute and try again',
          );
        }
      } finally {
        await limited.close();
      }
    });
  });

  describe('password hashing under a login flood', () => {
    const CONCURRENCY = 2;
    const QUEUE = 3;
    const FLOOD = 20;
    let testApp: TestApp;

    beforeAll(async () => {
      testApp = await startTestApp({
        PASSWORD_HASH_CONCURRENCY: String(CONCURRENCY),
        PASSWORD_HASH_QUEUE: String(QUEUE),
      });
    });
    afterAll(() => testApp.close());
    afterEach(() => jest.restoreAllMocks());

    it('runs at most PASSWORD_HASH_CONCURRENCY hashes at once, refuses the overflow with 503 + Retry-After, and keeps /healthz and logins working', async () => {
      // Instrument scrypt itself: count the calls in flight, and hold them until the flood has arrived.
      const realScrypt = crypto.scrypt;
      let inFlight = 0;
      let peak = 0;
      let holding = true;
      const held: Array<() => void> = [];
      jest.spyOn(crypto, 'scrypt').mockImplementation(((...args: unknown[]) => {
        const done = args.pop() as (err: Error | null, key: Buffer) => void;
        peak = Math.max(peak, ++inFlight);
        const start = () =>
          (realScrypt as (...a: unknown[]) => void)(...args, (err: Error | null, key: Buffer) => {
            inFlight--;
            done(err, key);
          });
        if (holding) held.push(start);
        else start();
      }) as unknown as typeof crypto.scrypt);

      const responses: Response[] = [];
      const flood = Array.from({ length: FLOOD }, (_, i) =>
        testApp
          .request()
          .post('/api/v1/auth/login')
          .send({ username: i % 2 ? 'admin' : `nobody-${i}`, password: 'wrong-password' })
          .then((response) => {
            responses.push(response);
            return response;
          }),
      );
      // Every request is answered or hashing, but the ones waiting in the queue.
      await eventually(
        'the flood is refused or hashing',
        async () => responses.length + held.length >= FLOOD - QUEUE,
      );
      expect(held).toHaveLength(CONCURRENCY);
      expect(responses).toHaveLength(FLOOD - CONCURRENCY - QUEUE);
      for (const refused of responses) {
        expect(refused.status).toBe(503);
        expect(refused.headers['retry-after']).toBe('1');
        expect(refused.headers['content-type']).toContain('application/problem+json');
        expect(refused.body.detail).toBe('Too many logins and password changes at once; retry in a moment');
      }
      // The event loop and the rest of the API answer while every hashing slot is taken.
      await testApp.request().get('/healthz').expect(200);

      holding = false;
      held.splice(0).forEach((start) => start());
      const all = await Promise.all(flood);
      expect(all.filter((response) => response.status === 401)).toHaveLength(CONCURRENCY + QUEUE);
      expect(peak).toBe(CONCURRENCY);

      await login(testApp, 'admin', ADMIN_PASSWORD);
      expect(peak).toBe(CONCURRENCY);
    });

    it('upgrades a hash made with older parameters at the next successful login', async () => {
      const { agent, csrfToken } = await login(testApp, 'admin', ADMIN_PASSWORD);
      await agent
        .post('/api/v1/users')
        .set('x-csrf-token', csrfToken)
        .send({ username: 'legacy', password: 'legacy-password' })
        .expect(201);
      const legacyHash = await hashPassword('legacy-password', { N: 2 ** 15, r: 8, p: 1 });
      const storedHash = () =>
        withSql(testApp, async (sql) => {
          const { rows } = await sql.query(`SELECT password_hash FROM users WHERE username = 'legacy'`);
          return rows[0].password_hash as string;
        });
      await withSql(testApp, (sql) =>
        sql.query(`UPDATE users SET password_hash = $1 WHERE username = 'legacy'`, [legacyHash]),
      );

      await testApp
        .request()
        .post('/api/v1/auth/login')
        .send({ username: 'legacy', password: 'wrong-password' })
        .expect(401);
      expect(await storedHash()).toBe(legacyHash);

      await login(testApp, 'legacy', 'legacy-password');
      const upgraded = await storedHash();
      expect(upgraded).toMatch(/^scrypt\$4096\$8\$1\$/);
      await expect(verifyPassword('legacy-password', upgraded)).resolves.toBe(true);
      await login(testApp, 'legacy', 'legacy-password');
      expect(await storedHash()).toBe(upgraded);
    });
  });

  describe('session cookie and store', () => {
    async function sessionCookie(testApp: TestApp, forwardedProto?: string): Promise<string> {
      const request = testApp.request().post('/api/v1/auth/login');
      if (forwardedProto) request.set('X-Forwarded-Proto', forwardedProto);
      const response = await request.send({ username: 'admin', password: ADMIN_PASSWORD }).expect(200);
      const cookie = (response.headers['set-cookie'] as unknown as string[]).find((c) =>
        c.startsWith(`${SESSION_COOKIE}=`),
      );
      expect(cookie).toBeDefined();
      return cookie!;
    }

    it('marks the cookie Secure when PUBLIC_URL is https, and not when it is http', async () => {
      const https = await startTestApp({ PUBLIC_URL: 'https://hooks.example.test' });
      try {
        const secure = await sessionCookie(https, 'https');
        expect(secure).toMatch(/;\s*Secure/i);
        expect(secure).toMatch(/HttpOnly/i);
        // The session works through the TLS proxy (which says so in X-Forwarded-Proto)…
        const me = await https
          .request()
          .get('/api/v1/auth/me')
          .set('X-Forwarded-Proto', 'https')
          .set('Cookie', secure.split(';')[0]!)
          .expect(200);
        expect(me.body.user.username).toBe('admin');
        // …and a login over plain HTTP gets no cookie: a browser would refuse a Secure one there.
        const plain = await https
          .request()
          .post('/api/v1/auth/login')
          .send({ username: 'admin', password: ADMIN_PASSWORD })
          .expect(200);
        expect(plain.headers['set-cookie']).toBeUndefined();
      } finally {
        await https.close();
      }
      const http = await startTestApp({ PUBLIC_URL: 'http://hooks.example.test' });
      try {
        expect(await sessionCookie(http, 'https')).not.toMatch(/;\s*Secure/i);
        expect(await sessionCookie(http)).not.toMatch(/;\s*Secure/i);
      } finally {
        await http.close();
      }
    });

    it('retries a failed session set-up on the next request instead of failing for ever', async () => {
      const testApp = await startTestApp();
      try {
        // The set-up reads the session secret from `settings`: take the table away for the first request.
        await withSql(testApp, (sql) => sql.query(`ALTER TABLE settings RENAME TO settings_away`));
        const failed = await testApp.request().get('/api/v1/auth/me').expect(500);
        expect(failed.headers['content-type']).toContain('application/problem+json');
        await withSql(testApp, (sql) => sql.query(`ALTER TABLE settings_away RENAME TO settings`));

        await testApp.request().get('/api/v1/auth/me').expect(401);
        const { agent } = await login(testApp, 'admin', ADMIN_PASSWORD);
        await agent.get('/api/v1/auth/me').expect(200);
      } finally {
        await testApp.close();
      }
    });
  });

  describe('/metrics', () => {
    const TOKEN = 'metrics-token-for-the-tests';

    it('needs `Authorization: Bearer <METRICS_TOKEN>` when METRICS_TOKEN is set', async () => {
      const testApp = await startTestApp({ METRICS_TOKEN: TOKEN });
      try {
        const apiKey = await login(testApp, 'admin', ADMIN_PASSWORD).then(({ agent, csrfToken }) =>
          agent.post('/api/v1/api-keys').set('x-csrf-token', csrfToken).send({ name: 'not for metrics' }),
        );
        for (const authorization of [
          undefined,
          `Bearer ${TOKEN.slice(0, -1)}x`,
          `Bearer ${TOKEN}x`,
          `Basic ${TOKEN}`,
          `Bearer ${apiKey.body.key}`,
        ]) {
          const request = testApp.request().get('/metrics');
          if (authorization) request.set('Authorization', authorization);
          const refused = await request.expect(401);
          expect(refused.headers['content-type']).toContain('application/problem+json');
          expect(refused.headers['www-authenticate']).toBe('Bearer realm="metrics"');
          expect(refused.body.detail).toBe(
            'Send the metrics token as "Authorization: Bearer <METRICS_TOKEN>"',
          );
        }
        const metrics = await testApp
          .request()
          .get('/metrics')
          .set('Authorization', `Bearer ${TOKEN}`)
          .expect(200);
        expect(metrics.text).toContain('webhooker_events_received_total');
      } finally {
        await testApp.close();
      }
    });

    it('is open when METRICS_TOKEN is unset', async () => {
      const testApp = await startTestApp();
      try {
        const metrics = await testApp.request().get('/metrics').expect(200);
        expect(metrics.text).toContain('webhooker_events_received_total');
      } finally {
        await testApp.close();
      }
    });
  });

  describe('API keys that are not valid', () => {
    it('are answered a second late, and malformed ones are not looked up', async () => {
      const testApp = await startTestApp();
      try {
        const admin = await asUser(testApp, 'admin', ADMIN_PASSWORD);
        const { key } = (await admin.session.post('/api/v1/api-keys', { name: 'valid' }).expect(201)).body;
        const me = (bearer: string) =>
          fetch(`${testApp.url}/api/v1/auth/me`, { headers: { authorization: `Bearer ${bearer}` } });
        const lookups = jest.spyOn(
          testApp.app.get<Repository<ApiKey>>(getRepositoryToken(ApiKey)),
          'findOneBy',
        );
        for (const [bearer, looked] of [
          [`whk_${randomBytes(32).toString('base64url')}`, 1],
          ['whk_short', 0],
        ] as const) {
          lookups.mockClear();
          const startedAt = Date.now();
          const refused = await me(bearer);
          expect(refused.status).toBe(401);
          // a client looping on its connections with made-up keys mostly waits
          expect(Date.now() - startedAt).toBeGreaterThanOrEqual(1_000);
          expect(lookups).toHaveBeenCalledTimes(looked);
        }
        const startedAt = Date.now();
        expect((await me(key)).status).toBe(200);
        expect(Date.now() - startedAt).toBeLessThan(1_000);
      } finally {
        await testApp.close();
      }
    });
  });

  describe("admins and other users' API keys", () => {
    let testApp: TestApp;
    let admin: TestUser;
    let alice: TestUser;
    let bob: TestUser;

    beforeAll(async () => {
      testApp = await startTestApp();
      admin = await asUser(testApp, 'admin', ADMIN_PASSWORD);
      alice = await createMember(testApp, admin, 'alice');
      bob = await createMember(testApp, admin, 'bob');
    });
    afterAll(() => testApp.close());

    /** Creates an API key for the user; returns its id and the key. */
    async function newKey(user: TestUser, name: string): Promise<{ id: string; key: string }> {
      const response = await user.session.post('/api/v1/api-keys', { name }).expect(201);
      return { id: response.body.id, key: response.body.key };
    }

    const works = (key: string) =>
      testApp.request().get('/api/v1/auth/me').set('Authorization', `Bearer ${key}`);

    it("lets an admin list a user's keys, without the keys themselves", async () => {
      const ci = await newKey(alice, 'alice ci');
      const list = await admin.apiKey.get(`/api/v1/users/${alice.id}/api-keys`).expect(200);
      expect(list.body.items.map((key: { name: string }) => key.name)).toEqual(['alice ci', "alice's key"]);
      expect(list.body.items[0]).toEqual({
        id: ci.id,
        name: 'alice ci',
        prefix: ci.key.slice(0, 12),
        createdAt: expect.any(String),
        lastUsedAt: null,
      });
      expect(JSON.stringify(list.body)).not.toContain(ci.key);
      const page = await admin.apiKey.get(`/api/v1/users/${alice.id}/api-keys?limit=1`).expect(200);
      expect(page.body.items).toHaveLength(1);
      expect(page.body.nextCursor).toEqual(expect.any(String));
    });

    it("lets an admin revoke a user's key at once, and only a key of that user", async () => {
      const doomed = await newKey(alice, 'doomed');
      const bobs = await newKey(bob, 'bob keeps it');
      const notHers = await admin.apiKey.delete(`/api/v1/users/${alice.id}/api-keys/${bobs.id}`).expect(404);
      expect(notHers.body.detail).toBe(`API key ${bobs.id} not found`);
      await works(bobs.key).expect(200);

      await works(doomed.key).expect(200);
      await admin.session.delete(`/api/v1/users/${alice.id}/api-keys/${doomed.id}`).expect(204);
      await works(doomed.key).expect(401);
      await admin.session.delete(`/api/v1/users/${alice.id}/api-keys/${doomed.id}`).expect(404);
      const list = await admin.apiKey.get(`/api/v1/users/${alice.id}/api-keys`).expect(200);
      expect(list.body.items.map((key: { id: string }) => key.id)).not.toContain(doomed.id);
    });

    it('answers an unknown user with 404 and a malformed id with 400', async () => {
      const unknown = await admin.apiKey.get(`/api/v1/users/${MISSING_ID}/api-keys`).expect(404);
      expect(unknown.body.detail).toBe(`User ${MISSING_ID} not found`);
      await admin.apiKey.delete(`/api/v1/users/${MISSING_ID}/api-keys/${MISSING_ID}`).expect(404);
      const malformed = await admin.apiKey.delete(`/api/v1/users/${alice.id}/api-keys/nope`).expect(400);
      expect(malformed.body.detail).toMatch(/uuid/);
    });

    it("keeps other users' keys from members: 403 on the admin routes, 404 on their own", async () => {
      const bobs = await newKey(bob, 'not for alice');
      await alice.apiKey.get(`/api/v1/users/${bob.id}/api-keys`).expect(403);
      await alice.session.delete(`/api/v1/users/${bob.id}/api-keys/${bobs.id}`).expect(403);
      const theirs = await alice.apiKey.delete(`/api/v1/api-keys/${bobs.id}`).expect(404);
      expect(theirs.body.detail).toBe(`API key ${bobs.id} not found`);
      await works(bobs.key).expect(200);
    });

    it('revokes the API keys on a password reset only when asked to', async () => {
      const carol = await createMember(testApp, admin, 'carol');
      const kept = await newKey(carol, 'kept');
      await admin.session
        .post(`/api/v1/users/${carol.id}/reset-password`, { password: 'new-password-1' })
        .expect(200);
      await works(kept.key).expect(200);

      const reset = await admin.session
        .post(`/api/v1/users/${carol.id}/reset-password`, { password: 'new-password-2', revokeApiKeys: true })
        .expect(200);
      expect(reset.body).toEqual({});
      await works(kept.key).expect(401);
      const list = await admin.apiKey.get(`/api/v1/users/${carol.id}/api-keys`).expect(200);
      expect(list.body.items).toEqual([]);
      await login(testApp, 'carol', 'new-password-2');
      await works((await newKey(alice, 'alice still has keys')).key).expect(200);
    });

    it('refuses a revokeApiKeys that is not a boolean with 400 naming the field, changing nothing', async () => {
      const dave = await createMember(testApp, admin, 'dave');
      const response = await admin.session
        .post(`/api/v1/users/${dave.id}/reset-password`, {
          password: 'another-password',
          revokeApiKeys: 'yes',
        })
        .expect(400);
      expect(response.body.errors).toEqual([
        { field: 'revokeApiKeys', message: 'Revoke API keys must be true or false' },
      ]);
      await login(testApp, 'dave', 'password-123');
    });
  });

  describe('API requests of one user at once (API_REQUESTS_PER_USER=1, API_QUEUED_PER_USER=2)', () => {
    it("queues a user's requests beyond the limit, refuses the overflow with 429 + Retry-After, drops a request whose client left, and serves other users meanwhile", async () => {
      const testApp = await startTestApp({ API_REQUESTS_PER_USER: '1', API_QUEUED_PER_USER: '2' });
      const lock = new PgClient({ connectionString: testApp.databaseUrl });
      await lock.connect();
      try {
        const admin = await asUser(testApp, 'admin', ADMIN_PASSWORD);
        const member = await createMember(testApp, admin, 'patient');
        const { key } = (await admin.session.post('/api/v1/api-keys', { name: 'raw' }).expect(201)).body;
        await lock.query('BEGIN');
        await lock.query('LOCK TABLE webhooks IN ACCESS EXCLUSIVE MODE');

        // the admin's one slot: a list of webhooks, waiting for the lock
        const slow = admin.apiKey.get('/api/v1/webhooks').then((r) => r);
        await eventually('the list waits for the lock', async () => {
          const { rows } = await lock.query(`SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted`);
          return rows[0].n > 0;
        });
        let queuedDone = false;
        const queued = admin.session.get('/api/v1/auth/me').then((r) => {
          queuedDone = true;
          return r;
        });
        // a creation whose client gives up while it waits: it must not run later
        const abort = new AbortController();
        const gone = fetch(`${testApp.url}/api/v1/webhooks`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'never created' }),
          signal: abort.signal,
        }).catch(() => 'aborted');
        await new Promise((resolve) => setTimeout(resolve, 200));
        abort.abort();
        expect(await gone).toBe('aborted');

        const refusedAt = Date.now();
        const refused = await admin.apiKey.get('/api/v1/auth/me');
        expect(refused.status).toBe(429);
        expect(Date.now() - refusedAt).toBeGreaterThanOrEqual(1_000);
        expect(refused.headers['retry-after']).toBe('1');
        expect(refused.headers['content-type']).toContain('application/problem+json');
        expect(refused.body.detail).toContain('API_REQUESTS_PER_USER');
        // another user is served at once, and logins have limits of their own
        await member.apiKey.get('/api/v1/auth/me').expect(200);
        await login(testApp, 'admin', ADMIN_PASSWORD);
        expect(queuedDone).toBe(false);

        await lock.query('COMMIT');
        expect((await slow).status).toBe(200);
        expect((await queued).status).toBe(200);
        const names = (await admin.apiKey.get('/api/v1/webhooks').expect(200)).body.items.map(
          (webhook: { name: string }) => webhook.name,
        );
        expect(names).not.toContain('never created');
      } finally {
        await lock.end();
        await testApp.close();
      }
    });
  });
});
