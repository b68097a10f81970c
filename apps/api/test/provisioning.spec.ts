import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { ADMIN_PASSWORD, startTestApp, TestApp } from './test-app';
import { asUser, createMember, TestUser } from './fixtures';
import { freePort } from './global-setup';

const SCRIPT = path.resolve(__dirname, '../../../examples/provision-ci.mjs');
const PUBLIC_URL = 'http://hooks.example.com';
const TARGET_URL = 'https://billing.example.com/hooks/orders';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs examples/provision-ci.mjs the way a CI step would: `node examples/provision-ci.mjs`. */
function provision(env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [SCRIPT],
      { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 20_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('provisioning from CI with examples/provision-ci.mjs (real HTTP, real PostgreSQL)', () => {
  let testApp: TestApp;
  let admin: TestUser;
  let ci: TestUser;
  let env: Record<string, string>;

  beforeAll(async () => {
    testApp = await startTestApp({ PUBLIC_URL });
    admin = await asUser(testApp, 'admin', ADMIN_PASSWORD);
    ci = await createMember(testApp, admin, 'ci-bot');
    const key = await ci.session.post('/api/v1/api-keys', { name: 'CI pipeline' }).expect(201);
    env = { WEBHOOKER_URL: testApp.url, WEBHOOKER_API_KEY: key.body.key, ORDERS_TARGET_URL: TARGET_URL };
  });
  afterAll(() => testApp.close());

  it('provisions once, however often it runs: one webhook, one entrypoint, two targets', async () => {
    const first = await provision(env);
    expect(first.stderr).toBe(
      'create: webhook orders\ncreate: entrypoint orders/default\ncreate: target orders/billing\ncreate: target orders/audit-log\n',
    );
    expect(first.code).toBe(0);
    const entrypointUrl = first.stdout.trim();
    expect(entrypointUrl).toMatch(new RegExp(`^${PUBLIC_URL}/webhook/[0-9a-f-]{36}$`));

    const second = await provision(env);
    expect(second).toEqual({ code: 0, stdout: first.stdout, stderr: 'nothing to change\n' });

    const webhooks = await ci.apiKey.get('/api/v1/webhooks').expect(200);
    expect(webhooks.body.items).toEqual([
      expect.objectContaining({
        key: 'orders',
        name: 'orders',
        description: 'Order events, provisioned by CI',
        ownerId: ci.id,
        entrypointCount: 1,
        targetCount: 2,
      }),
    ]);
    const webhookId = webhooks.body.items[0].id;
    const entrypoints = await ci.apiKey.get(`/api/v1/webhooks/${webhookId}/entrypoints`).expect(200);
    expect(entrypoints.body.items.map((e: { url: string; active: boolean }) => [e.url, e.active])).toEqual([
      [entrypointUrl, true],
    ]);
    const targets = await ci.apiKey.get(`/api/v1/webhooks/${webhookId}/targets`).expect(200);
    expect(
      targets.body.items
        .map((t: { name: string; type: string; http: { url: string } | null }) => [
          t.name,
          t.type,
          t.http?.url,
        ])
        .sort(),
    ).toEqual([
      ['audit log', 'log', undefined],
      ['billing', 'http', TARGET_URL],
    ]);
  });

  it('exits 1 with the API’s detail when the API refuses the configuration, changing nothing', async () => {
    const other = await createMember(testApp, admin, 'ci-bot-2');
    const otherKey = await other.session.post('/api/v1/api-keys', { name: 'CI' }).expect(201);
    const otherEnv = { ...env, WEBHOOKER_API_KEY: otherKey.body.key };
    const badUrl = await provision({ ...otherEnv, ORDERS_TARGET_URL: 'ftp://billing.example.com/orders' });
    expect(badUrl.code).toBe(1);
    expect(badUrl.stdout).toBe('');
    expect(badUrl.stderr).toContain(
      'provision-ci: applying the configuration failed (HTTP 400): ' +
        'webhooks[0].targets[0].http.url must be an absolute http or https URL\n' +
        '  webhooks[0].targets[0].http.url: webhooks[0].targets[0].http.url must be an absolute http or https URL\n',
    );
    expect((await other.apiKey.get('/api/v1/webhooks').expect(200)).body.items).toEqual([]);

    const badKey = await provision({ ...env, WEBHOOKER_API_KEY: 'whk_not-a-real-key' });
    expect(badKey.code).toBe(1);
    expect(badKey.stderr).toMatch(/^provision-ci: applying the configuration failed \(HTTP 401\): \S/);
  });

  it('converges on a changed target URL: the target is updated, nothing is duplicated', async () => {
    const changed = await provision({ ...env, ORDERS_TARGET_URL: 'https://billing.example.com/v2/orders' });
    expect(changed.code).toBe(0);
    expect(changed.stderr).toBe('update: target orders/billing\n');
    const webhooks = await ci.apiKey.get('/api/v1/webhooks').expect(200);
    expect(webhooks.body.items).toEqual([expect.objectContaining({ entrypointCount: 1, targetCount: 2 })]);
    const targets = await ci.apiKey.get(`/api/v1/webhooks/${webhooks.body.items[0].id}/targets`).expect(200);
    expect(targets.body.items.map((t: { http: { url: string } | null }) => t.http?.url).sort()).toEqual([
      'https://billing.example.com/v2/orders',
      undefined,
    ]);
  });

  it('exits 1 naming what is missing or unreachable', async () => {
    const { WEBHOOKER_API_KEY: _key, ...withoutKey } = env;
    const missing = await provision(withoutKey);
    expect(missing).toEqual({ code: 1, stdout: '', stderr: 'provision-ci: WEBHOOKER_API_KEY is not set\n' });

    const down = await provision({ ...env, WEBHOOKER_URL: `http://127.0.0.1:${await freePort()}` });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^provision-ci: applying the configuration failed: .*ECONNREFUSED/);
  });
});
