import { Client } from 'pg';
import supertest from 'supertest';
import { createApp } from '../src/app.factory';
import { createLogger } from '../src/common/logger';
import { ADMIN_PASSWORD, login, startTestApp } from './test-app';

// Each test here runs its own application instances, one after another: passport keeps its
// strategies in a process-wide registry, so only the newest instance in a process can log users in.
describe('sessions and login limits across application instances', () => {
  it('keeps sessions in PostgreSQL, so they survive a restart', async () => {
    const first = await startTestApp();
    const { agent } = await login(first, 'admin', ADMIN_PASSWORD);
    const cookie = (await agent.get('/api/v1/auth/me').expect(200)).request.cookies;

    const client = new Client({ connectionString: first.databaseUrl });
    await client.connect();
    const { rows } = await client.query(
      `SELECT count(*)::int AS n FROM sessions WHERE sess->>'userId' IS NOT NULL`,
    );
    await client.end();
    expect(rows[0].n).toBe(1);

    // The first instance still runs (it owns the database), so the second needs its own INSTANCE_ID.
    const config = { ...first.config, instanceId: `${first.config.instanceId}-restarted` };
    const restarted = await createApp(config, createLogger(config));
    await restarted.listen(0, '127.0.0.1');
    const { port } = restarted.getHttpServer().address() as { port: number };
    try {
      const response = await supertest(`http://127.0.0.1:${port}`)
        .get('/api/v1/auth/me')
        .set('Cookie', cookie)
        .expect(200);
      expect(response.body.user.username).toBe('admin');
    } finally {
      await restarted.close();
      await first.close();
    }
  });

  it('rate-limits login attempts per address and username', async () => {
    const limited = await startTestApp({ LOGIN_RATE_LIMIT: '3' });
    try {
      const attempt = (username: string, password = 'wrong-password') =>
        limited.request().post('/api/v1/auth/login').send({ username, password });
      for (let i = 0; i < 3; i++) expect((await attempt('admin')).status).toBe(401);
      const blocked = await attempt('admin', ADMIN_PASSWORD);
      expect(blocked.status).toBe(429);
      expect(blocked.body.detail).toBe('Too many login attempts; wait a minute and try again');
      expect((await attempt('someone-else')).status).toBe(401);
    } finally {
      await limited.close();
    }
  });
});
