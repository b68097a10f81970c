import { SESSION_COOKIE } from '../src/auth/session.middleware';
import { ADMIN_PASSWORD, login, startTestApp, TestApp } from './test-app';

describe('authentication (HTTP, real PostgreSQL)', () => {
  let testApp: TestApp;
  let admin: Awaited<ReturnType<typeof login>>;

  beforeAll(async () => {
    testApp = await startTestApp();
    admin = await login(testApp, 'admin', ADMIN_PASSWORD);
  });
  afterAll(() => testApp.close());

  async function createUser(
    username: string,
    role: 'admin' | 'member' = 'member',
    password = 'password-123',
  ) {
    const response = await admin.agent
      .post('/api/v1/users')
      .set('x-csrf-token', admin.csrfToken)
      .send({ username, password, role })
      .expect(201);
    return response.body as { id: string };
  }

  describe('login', () => {
    it('logs the admin in with an httpOnly SameSite cookie and returns a CSRF token', async () => {
      const response = await testApp
        .request()
        .post('/api/v1/auth/login')
        .send({ username: 'admin', password: ADMIN_PASSWORD })
        .expect(200);
      expect(response.body).toMatchObject({
        user: { username: 'admin', role: 'admin' },
        authMethod: 'session',
      });
      expect(response.body.csrfToken).toEqual(expect.any(String));
      const cookie = response.headers['set-cookie'][0];
      expect(cookie).toContain(`${SESSION_COOKIE}=`);
      expect(cookie).toMatch(/HttpOnly/i);
      expect(cookie).toMatch(/SameSite=Lax/i);
    });

    it('rejects a wrong password and an unknown user with 401 and sets no cookie', async () => {
      for (const body of [
        { username: 'admin', password: 'wrong-password' },
        { username: 'nobody', password: ADMIN_PASSWORD },
      ]) {
        const response = await testApp.request().post('/api/v1/auth/login').send(body).expect(401);
        expect(response.headers['content-type']).toContain('application/problem+json');
        expect(response.body.detail).toBe('Wrong username or password');
        expect(response.headers['set-cookie']).toBeUndefined();
      }
    });

    it('answers a body without a password with 400 naming the field', async () => {
      const response = await testApp
        .request()
        .post('/api/v1/auth/login')
        .send({ username: 'admin' })
        .expect(400);
      expect(response.body.errors).toEqual([{ field: 'password', message: 'Password is required' }]);
    });

    it('keeps the session across requests and ends it on logout', async () => {
      const { agent, csrfToken } = await login(testApp, 'admin', ADMIN_PASSWORD);
      const me = await agent.get('/api/v1/auth/me').expect(200);
      expect(me.body).toMatchObject({ user: { username: 'admin' }, authMethod: 'session', csrfToken });
      await agent.post('/api/v1/auth/logout').set('x-csrf-token', csrfToken).expect(204);
      await agent.get('/api/v1/auth/me').expect(401);
    });
  });

  describe('CSRF', () => {
    it('rejects a state-changing session request without the token, and with a wrong one', async () => {
      await admin.agent.post('/api/v1/api-keys').send({ name: 'no token' }).expect(403);
      const response = await admin.agent
        .post('/api/v1/api-keys')
        .set('x-csrf-token', 'not-the-token')
        .send({ name: 'wrong token' })
        .expect(403);
      expect(response.body.detail).toMatch(/x-csrf-token/);
      const keys = await admin.agent.get('/api/v1/api-keys').expect(200);
      expect(keys.body.items.map((k: { name: string }) => k.name)).not.toContain('no token');
    });
  });

  describe('API keys', () => {
    it('creates a key shown once, authenticates with it, lists it without the secret, and revokes it at once', async () => {
      const created = await admin.agent
        .post('/api/v1/api-keys')
        .set('x-csrf-token', admin.csrfToken)
        .send({ name: 'CI pipeline' })
        .expect(201);
      const key: string = created.body.key;
      expect(key).toMatch(/^whk_[A-Za-z0-9_-]{43}$/);
      expect(created.body.prefix).toBe(key.slice(0, 12));

      const me = await testApp
        .request()
        .get('/api/v1/auth/me')
        .set('Authorization', `Bearer ${key}`)
        .expect(200);
      expect(me.body).toMatchObject({ user: { username: 'admin' }, authMethod: 'api-key' });
      expect(me.body.csrfToken).toBeUndefined();

      // A key needs no CSRF token: it is not sent by browsers on their own.
      const other = await testApp
        .request()
        .post('/api/v1/api-keys')
        .set('Authorization', `Bearer ${key}`)
        .send({ name: 'made with a key' })
        .expect(201);

      const list = await admin.agent.get('/api/v1/api-keys').expect(200);
      const listed = list.body.items.find((k: { id: string }) => k.id === created.body.id);
      expect(listed).toMatchObject({ name: 'CI pipeline', prefix: created.body.prefix });
      expect(listed.lastUsedAt).not.toBeNull();
      expect(JSON.stringify(list.body)).not.toContain(key);

      await admin.agent
        .delete(`/api/v1/api-keys/${created.body.id}`)
        .set('x-csrf-token', admin.csrfToken)
        .expect(204);
      const revoked = await testApp
        .request()
        .get('/api/v1/auth/me')
        .set('Authorization', `Bearer ${key}`)
        .expect(401);
      expect(revoked.body.detail).toMatch(/revoked/);
      await testApp
        .request()
        .delete(`/api/v1/api-keys/${other.body.id}`)
        .set('Authorization', `Bearer ${other.body.key}`)
        .expect(204);
    });

    it('answers a malformed Authorization header and an unknown key with 401', async () => {
      await testApp.request().get('/api/v1/auth/me').set('Authorization', 'Basic abc').expect(401);
      await testApp.request().get('/api/v1/auth/me').set('Authorization', 'Bearer whk_nope').expect(401);
    });

    it("answers another user's key id with 404", async () => {
      const key = await admin.agent
        .post('/api/v1/api-keys')
        .set('x-csrf-token', admin.csrfToken)
        .send({ name: 'admin only' })
        .expect(201);
      await createUser('key-thief');
      const thief = await login(testApp, 'key-thief', 'password-123');
      await thief.agent
        .delete(`/api/v1/api-keys/${key.body.id}`)
        .set('x-csrf-token', thief.csrfToken)
        .expect(404);
      await testApp
        .request()
        .get('/api/v1/auth/me')
        .set('Authorization', `Bearer ${key.body.key}`)
        .expect(200);
    });

    it('rejects a bad body with 400 naming the field, and an unknown field', async () => {
      const tooLong = await admin.agent
        .post('/api/v1/api-keys')
        .set('x-csrf-token', admin.csrfToken)
        .send({ name: 'x'.repeat(101) })
        .expect(400);
      expect(tooLong.body).toMatchObject({
        status: 400,
        errors: [{ field: 'name', message: 'Name must be at most 100 characters long' }],
      });
      const unknown = await admin.agent
        .post('/api/v1/api-keys')
        .set('x-csrf-token', admin.csrfToken)
        .send({ name: 'ok', scope: 'all' })
        .expect(400);
      expect(unknown.body.errors).toEqual([{ field: 'scope', message: 'property scope should not exist' }]);
    });

    it('answers a malformed id with 400', async () => {
      const response = await admin.agent
        .delete('/api/v1/api-keys/not-a-uuid')
        .set('x-csrf-token', admin.csrfToken)
        .expect(400);
      expect(response.body.detail).toMatch(/uuid/);
    });

    it('pages the list with a cursor', async () => {
      const pager = await createUser('pager');
      expect(pager.id).toBeDefined();
      const session = await login(testApp, 'pager', 'password-123');
      for (const name of ['one', 'two', 'three']) {
        await session.agent
          .post('/api/v1/api-keys')
          .set('x-csrf-token', session.csrfToken)
          .send({ name })
          .expect(201);
      }
      const first = await session.agent.get('/api/v1/api-keys?limit=2').expect(200);
      expect(first.body.items.map((k: { name: string }) => k.name)).toEqual(['three', 'two']);
      const second = await session.agent
        .get(`/api/v1/api-keys?limit=2&cursor=${first.body.nextCursor}`)
        .expect(200);
      expect(second.body).toMatchObject({ items: [{ name: 'one' }], nextCursor: null });
      await session.agent.get('/api/v1/api-keys?cursor=garbage').expect(400);
      await session.agent.get('/api/v1/api-keys?limit=0').expect(400);
    });
  });

  describe('users', () => {
    it('keeps members out of admin routes', async () => {
      await createUser('member-1');
      const member = await login(testApp, 'member-1', 'password-123');
      const response = await member.agent.get('/api/v1/users').expect(403);
      expect(response.body.detail).toBe('This needs the admin role');
      await member.agent
        .post('/api/v1/users')
        .set('x-csrf-token', member.csrfToken)
        .send({ username: 'sneaky', password: 'password-123' })
        .expect(403);
    });

    it('requires a session or key on every non-public route', async () => {
      for (const [method, path] of [
        ['get', '/api/v1/users'],
        ['post', '/api/v1/users'],
        ['get', '/api/v1/api-keys'],
        ['post', '/api/v1/api-keys'],
        ['get', '/api/v1/auth/me'],
        ['patch', '/api/v1/auth/me/password'],
        ['post', '/api/v1/auth/logout'],
      ] as const) {
        await testApp.request()[method](path).expect(401);
      }
    });

    it('creates users with a generated password, changes roles, and refuses duplicates', async () => {
      const created = await admin.agent
        .post('/api/v1/users')
        .set('x-csrf-token', admin.csrfToken)
        .send({ username: 'generated' })
        .expect(201);
      expect(created.body).toMatchObject({ username: 'generated', role: 'member', disabled: false });
      expect(created.body.password).toMatch(/^[A-Za-z0-9_-]{20}$/);
      await login(testApp, 'generated', created.body.password);

      const promoted = await admin.agent
        .patch(`/api/v1/users/${created.body.id}`)
        .set('x-csrf-token', admin.csrfToken)
        .send({ role: 'admin' })
        .expect(200);
      expect(promoted.body.role).toBe('admin');

      const duplicate = await admin.agent
        .post('/api/v1/users')
        .set('x-csrf-token', admin.csrfToken)
        .send({ username: 'generated', password: 'password-123' })
        .expect(409);
      expect(duplicate.body.detail).toBe('username "generated" is already taken');

      const invalid = await admin.agent
        .post('/api/v1/users')
        .set('x-csrf-token', admin.csrfToken)
        .send({ username: 'bad name!', password: 'short' })
        .expect(400);
      expect(invalid.body.errors.map((e: { field: string }) => e.field).sort()).toEqual([
        'password',
        'username',
      ]);
    });

    it('disabling a user ends its sessions and stops its API keys', async () => {
      const user = await createUser('to-disable');
      const session = await login(testApp, 'to-disable', 'password-123');
      const key = await session.agent
        .post('/api/v1/api-keys')
        .set('x-csrf-token', session.csrfToken)
        .send({ name: 'k' })
        .expect(201);
      await admin.agent
        .patch(`/api/v1/users/${user.id}`)
        .set('x-csrf-token', admin.csrfToken)
        .send({ disabled: true })
        .expect(200);
      await session.agent.get('/api/v1/auth/me').expect(401);
      await testApp
        .request()
        .get('/api/v1/auth/me')
        .set('Authorization', `Bearer ${key.body.key}`)
        .expect(401);
      await testApp
        .request()
        .post('/api/v1/auth/login')
        .send({ username: 'to-disable', password: 'password-123' })
        .expect(401);

      await admin.agent
        .patch(`/api/v1/users/${user.id}`)
        .set('x-csrf-token', admin.csrfToken)
        .send({ disabled: false })
        .expect(200);
      await testApp
        .request()
        .get('/api/v1/auth/me')
        .set('Authorization', `Bearer ${key.body.key}`)
        .expect(200);
    });

    it('refuses to let an admin disable or demote itself', async () => {
      const me = await admin.agent.get('/api/v1/auth/me').expect(200);
      const response = await admin.agent
        .patch(`/api/v1/users/${me.body.user.id}`)
        .set('x-csrf-token', admin.csrfToken)
        .send({ disabled: true })
        .expect(400);
      expect(response.body.detail).toBe('You cannot demote or disable your own account');
    });

    it('resets a password: the old one stops working and the user is logged out', async () => {
      const user = await createUser('forgetful');
      const session = await login(testApp, 'forgetful', 'password-123');
      const reset = await admin.agent
        .post(`/api/v1/users/${user.id}/reset-password`)
        .set('x-csrf-token', admin.csrfToken)
        .send({})
        .expect(200);
      expect(reset.body.password).toMatch(/^[A-Za-z0-9_-]{20}$/);
      await session.agent.get('/api/v1/auth/me').expect(401);
      await testApp
        .request()
        .post('/api/v1/auth/login')
        .send({ username: 'forgetful', password: 'password-123' })
        .expect(401);
      await login(testApp, 'forgetful', reset.body.password);
    });

    it('answers an unknown user id with 404 and a malformed one with 400', async () => {
      await admin.agent.get('/api/v1/users/7b0c2b5e-3f0a-4c1e-9a7e-0d6f1a2b3c4d').expect(404);
      await admin.agent.get('/api/v1/users/42').expect(400);
    });
  });

  describe('own password', () => {
    it('changes the password, keeps this session and ends the others', async () => {
      await createUser('changer', 'member', 'old-password-1');
      const here = await login(testApp, 'changer', 'old-password-1');
      const elsewhere = await login(testApp, 'changer', 'old-password-1');

      const wrong = await here.agent
        .patch('/api/v1/auth/me/password')
        .set('x-csrf-token', here.csrfToken)
        .send({ currentPassword: 'not-it', newPassword: 'new-password-1' })
        .expect(400);
      expect(wrong.body.errors).toEqual([
        { field: 'currentPassword', message: 'Current password is not correct' },
      ]);

      const short = await here.agent
        .patch('/api/v1/auth/me/password')
        .set('x-csrf-token', here.csrfToken)
        .send({ currentPassword: 'old-password-1', newPassword: 'short' })
        .expect(400);
      expect(short.body.errors[0].field).toBe('newPassword');

      await here.agent
        .patch('/api/v1/auth/me/password')
        .set('x-csrf-token', here.csrfToken)
        .send({ currentPassword: 'old-password-1', newPassword: 'new-password-1' })
        .expect(204);
      await here.agent.get('/api/v1/auth/me').expect(200);
      await elsewhere.agent.get('/api/v1/auth/me').expect(401);
      await login(testApp, 'changer', 'new-password-1');
    });
  });
});
