import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../src/database/data-source';
import { UsersService } from '../src/users/users.service';
import { startTestApp, TestApp } from './test-app';
import { createTestDatabase } from './test-database';

describe('schema', () => {
  it('the committed migrations produce exactly what the entities describe', async () => {
    const database = await createTestDatabase();
    const dataSource = new DataSource(dataSourceOptions(database.url));
    try {
      await dataSource.initialize();
      const pending = await dataSource.driver.createSchemaBuilder().log();
      expect(pending.upQueries.map((query) => query.query)).toEqual([]);
    } finally {
      await dataSource.destroy();
      await database.drop();
    }
  });
});

describe('health', () => {
  let testApp: TestApp;
  beforeAll(async () => (testApp = await startTestApp()));
  afterAll(() => testApp.close());

  it('answers the healthcheck, liveness and readiness without authentication', async () => {
    const health = await testApp.request().get('/.well-known/healthcheck').expect(200);
    expect(health.body).toEqual({ status: 'ok', uptime: expect.any(Number), version: expect.any(String) });
    await testApp.request().get('/healthz').expect(200, { status: 'ok' });
    await testApp.request().get('/readyz').expect(200, { status: 'ok' });
  });

  it('sets a request id, or echoes the one it was given', async () => {
    const fresh = await testApp.request().get('/healthz');
    expect(fresh.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const given = await testApp.request().get('/healthz').set('x-request-id', 'trace-123');
    expect(given.headers['x-request-id']).toBe('trace-123');
  });

  it('serves the OpenAPI document and the docs page', async () => {
    const spec = await testApp.request().get('/api/openapi.json').expect(200);
    expect(spec.body.paths['/api/v1/api-keys'].post.operationId).toBe('createApiKey');
    await testApp.request().get('/api/docs').expect(200);
  });

  it('answers /readyz with 503 while the database refuses connections', async () => {
    const name = new URL(testApp.databaseUrl).pathname.slice(1);
    const admin = new Client({ connectionString: testApp.databaseUrl.replace(`/${name}`, '/postgres') });
    await admin.connect();
    try {
      await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
      await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, [name]);
      const response = await testApp.request().get('/readyz').expect(503);
      expect(response.body.detail).toBe('The database does not answer');
    } finally {
      await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
      await admin.end();
    }
    await testApp.request().get('/readyz').expect(200);
  });
});

describe('first start', () => {
  let testApp: TestApp;
  beforeAll(async () => (testApp = await startTestApp()));
  afterAll(() => testApp.close());

  it('creates admin with a random password printed once, and only when there are no users', async () => {
    const client = new Client({ connectionString: testApp.databaseUrl });
    await client.connect();
    await client.query('DELETE FROM users');
    await client.end();

    const users = testApp.app.get(UsersService);
    const printed: string[] = [];
    await users.ensureAdmin({ print: (text) => printed.push(text) });
    const password = /password: (\S+)/.exec(printed.join(''))?.[1];
    expect(password).toMatch(/^[A-Za-z0-9_-]{20}$/);
    await testApp.request().post('/api/v1/auth/login').send({ username: 'admin', password }).expect(200);

    await users.ensureAdmin({ print: (text) => printed.push(text) });
    expect(printed).toHaveLength(1);
  });

  it('stores a generated session secret in settings', async () => {
    await testApp.request().post('/api/v1/auth/login').send({ username: 'x', password: 'y' });
    const client = new Client({ connectionString: testApp.databaseUrl });
    await client.connect();
    const { rows } = await client.query(`SELECT value FROM settings WHERE key = 'session_secret'`);
    await client.end();
    expect(rows[0].value).toMatch(/^[0-9a-f]{64}$/);
  });
});
