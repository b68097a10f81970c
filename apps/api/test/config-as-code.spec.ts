import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ADMIN_PASSWORD, startTestApp, TestApp } from './test-app';
import { asUser, createMember, TestUser, withSql } from './fixtures';

const CLI = path.resolve(__dirname, '../../cli/webhooker.mjs');
const EXAMPLE = path.resolve(__dirname, '../../../examples/webhooker.yaml');
const PUBLIC_URL = 'http://hooks.example.com';

/** A document of one webhook with an entrypoint, an http target and a log target. */
function ordersDocument(url = 'https://billing.example.com/hooks/orders') {
  return {
    version: 1,
    webhooks: [
      {
        key: 'orders',
        name: 'Orders',
        entrypoints: [{ key: 'shop', description: 'The shop' }],
        targets: [
          { key: 'billing', name: 'Billing', type: 'http', http: { url, headers: { 'X-Token': 't0k3n' } } },
          { key: 'audit', name: 'Audit log', type: 'log' },
        ],
      },
    ],
  };
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI as a pipeline would: `node apps/cli/webhooker.mjs …`. */
function cli(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 20_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('configuration as code: plan, apply, export (real HTTP, real PostgreSQL)', () => {
  let testApp: TestApp;
  let admin: TestUser;
  let members = 0;

  /** A fresh member: their configuration starts empty. */
  const freshUser = () => createMember(testApp, admin, `config-${++members}`);

  beforeAll(async () => {
    testApp = await startTestApp({ PUBLIC_URL });
    admin = await asUser(testApp, 'admin', ADMIN_PASSWORD);
  });
  afterAll(() => testApp.close());

  it('plans without changing anything, applies once, and a second apply changes nothing', async () => {
    const user = await freshUser();
    const plan = await user.apiKey.post('/api/v1/config/plan', ordersDocument()).expect(200);
    expect(
      plan.body.changes.map((c: { action: string; kind: string; key: string }) => [c.action, c.kind, c.key]),
    ).toEqual([
      ['create', 'webhook', 'orders'],
      ['create', 'entrypoint', 'shop'],
      ['create', 'target', 'billing'],
      ['create', 'target', 'audit'],
    ]);
    expect((await user.apiKey.get('/api/v1/webhooks').expect(200)).body.items).toEqual([]);

    const applied = await user.apiKey.post('/api/v1/config/apply', ordersDocument()).expect(200);
    expect(applied.body.changes).toEqual(
      plan.body.changes.map((change: object, index: number) =>
        index === 2 ? { ...change, signingSecret: expect.stringMatching(/^whsec_/) } : change,
      ),
    );
    expect(applied.body.entrypoints).toEqual([
      {
        webhook: 'orders',
        key: 'shop',
        url: expect.stringMatching(new RegExp(`^${PUBLIC_URL}/webhook/[0-9a-f-]{36}$`)),
      },
    ]);
    const webhooks = (await user.apiKey.get('/api/v1/webhooks').expect(200)).body.items;
    expect(webhooks).toEqual([
      expect.objectContaining({ key: 'orders', name: 'Orders', entrypointCount: 1, targetCount: 2 }),
    ]);
    const targets = (await user.apiKey.get(`/api/v1/webhooks/${webhooks[0].id}/targets`).expect(200)).body
      .items;
    expect(
      targets
        .map((t: { key: string; http: { headers: object } | null }) => [t.key, t.http?.headers ?? null])
        .sort(),
    ).toEqual([
      ['audit', null],
      ['billing', { 'x-token': 't0k3n' }],
    ]);

    const again = await user.apiKey.post('/api/v1/config/apply', ordersDocument()).expect(200);
    expect(again.body.changes).toEqual([]);
    expect(again.body.entrypoints).toEqual(applied.body.entrypoints);
    expect(
      (await user.apiKey.post('/api/v1/config/plan', ordersDocument()).expect(200)).body.changes,
    ).toEqual([]);
  });

  it('plans an update field by field, and deletes only with prune', async () => {
    const user = await freshUser();
    await user.apiKey.post('/api/v1/config/apply', ordersDocument()).expect(200);
    const changed = ordersDocument('https://billing.example.com/v2/orders');
    changed.webhooks[0]!.targets.pop();

    const plan = await user.apiKey.post('/api/v1/config/plan', changed).expect(200);
    expect(plan.body.changes).toEqual([
      {
        action: 'update',
        kind: 'target',
        webhook: 'orders',
        key: 'billing',
        fields: [
          {
            field: 'http.url',
            before: 'https://billing.example.com/hooks/orders',
            after: 'https://billing.example.com/v2/orders',
          },
        ],
      },
    ]);
    const pruned = await user.apiKey.post('/api/v1/config/plan?prune=true', changed).expect(200);
    expect(pruned.body.changes.map((c: { action: string; key: string }) => [c.action, c.key])).toEqual([
      ['update', 'billing'],
      ['delete', 'audit'],
    ]);

    await user.apiKey.post('/api/v1/config/apply', changed).expect(200);
    const [webhook] = (await user.apiKey.get('/api/v1/webhooks').expect(200)).body.items;
    expect(webhook.targetCount).toBe(2);
    const applied = await user.apiKey.post('/api/v1/config/apply?prune=true', { webhooks: [] }).expect(200);
    expect(
      applied.body.changes.map((c: { action: string; kind: string; key: string }) => [
        c.action,
        c.kind,
        c.key,
      ]),
    ).toEqual([['delete', 'webhook', 'orders']]);
    expect((await user.apiKey.get('/api/v1/webhooks').expect(200)).body.items).toEqual([]);
  });

  it('exports what the dashboard made (keys from names), and a user without configuration applying it exports the same', async () => {
    const user = await freshUser();
    const made = await user.apiKey
      .post('/api/v1/webhooks', { name: 'Stripe payments', retentionDays: 7 })
      .expect(201);
    await user.apiKey
      .post(`/api/v1/webhooks/${made.body.id}/targets`, { name: 'Ledger', type: 'database' })
      .expect(201);
    await user.apiKey.post('/api/v1/webhooks', { name: 'Stripe payments' }).expect(201);
    await user.apiKey.post('/api/v1/config/apply', ordersDocument()).expect(200);

    const exported = (await user.apiKey.get('/api/v1/config/export').expect(200)).body;
    expect(exported.webhooks.map((w: { key: string }) => w.key)).toEqual([
      'orders',
      'stripe-payments',
      'stripe-payments-2',
    ]);
    expect(exported.webhooks[1]).toEqual({
      key: 'stripe-payments',
      name: 'Stripe payments',
      description: '',
      retentionDays: 7,
      entrypoints: [{ key: 'entrypoint', description: '', active: true }],
      targets: [{ key: 'ledger', name: 'Ledger', type: 'database', active: true }],
    });
    const yaml = await user.apiKey.get('/api/v1/config/export?format=yaml').expect(200);
    expect(yaml.headers['content-type']).toMatch(/^application\/yaml/);
    expect(parseYaml(yaml.text)).toEqual(exported);

    const empty = await freshUser();
    const created = await empty.apiKey
      .post('/api/v1/config/apply')
      .set('Content-Type', 'application/yaml')
      .send(yaml.text)
      .expect(200);
    expect(created.body.changes.filter((c: { action: string }) => c.action !== 'create')).toEqual([]);
    expect((await empty.apiKey.get('/api/v1/config/export').expect(200)).body).toEqual(exported);

    const adopted = await user.apiKey.post('/api/v1/config/apply', exported).expect(200);
    expect(
      adopted.body.changes.map((c: { action: string; kind: string; fields: { field: string }[] }) => [
        c.action,
        c.kind,
        c.fields.map((f) => f.field),
      ]),
    ).toEqual([
      ['update', 'webhook', ['key']],
      ['update', 'entrypoint', ['key']],
      ['update', 'target', ['key']],
      ['update', 'webhook', ['key']],
      ['update', 'entrypoint', ['key']],
    ]);
    expect((await user.apiKey.post('/api/v1/config/plan', exported).expect(200)).body.changes).toEqual([]);
  });

  it('gives a key to an object made in the dashboard with PATCH, unique per owner', async () => {
    const user = await freshUser();
    const first = await user.apiKey.post('/api/v1/webhooks', { name: 'First' }).expect(201);
    const second = await user.apiKey.post('/api/v1/webhooks', { name: 'Second', key: 'second' }).expect(201);
    expect(second.body.key).toBe('second');
    const refused = await user.apiKey
      .patch(`/api/v1/webhooks/${first.body.id}`, { key: 'second' })
      .expect(400);
    expect(refused.body.errors).toEqual([
      { field: 'key', message: 'key "second" is already used by another webhook' },
    ]);
    const patched = await user.apiKey
      .patch(`/api/v1/webhooks/${first.body.id}`, { key: 'first-one' })
      .expect(200);
    expect(patched.body.key).toBe('first-one');
    const entrypointId = first.body.entrypoints[0].id;
    const entrypoint = await user.apiKey
      .patch(`/api/v1/entrypoints/${entrypointId}`, { key: 'main' })
      .expect(200);
    expect(entrypoint.body.key).toBe('main');
    await user.apiKey.patch(`/api/v1/webhooks/${first.body.id}`, { key: 'no spaces' }).expect(400);
    const exported = (await user.apiKey.get('/api/v1/config/export').expect(200)).body;
    expect(
      exported.webhooks.map((w: { key: string; entrypoints: { key: string }[] }) => [
        w.key,
        w.entrypoints[0]?.key,
      ]),
    ).toEqual([
      ['first-one', 'main'],
      ['second', 'entrypoint'],
    ]);
  });

  it('refuses a bad document naming the path in it, and a failed apply creates nothing', async () => {
    const user = await freshUser();
    const document = {
      webhooks: [
        ordersDocument().webhooks[0],
        {
          key: 'second',
          name: 'Second',
          targets: [{ key: 'local', name: 'Local', type: 'http', http: { url: 'http://127.0.0.1:9/hook' } }],
        },
      ],
    };
    const refused = await user.apiKey.post('/api/v1/config/apply', document).expect(400);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.body.errors).toEqual([
      {
        field: 'webhooks[1].targets[0].http.url',
        message: expect.stringMatching(/^webhooks\[1\]\.targets\[0\]\.http\.url is not allowed: /),
      },
    ]);
    expect((await user.apiKey.get('/api/v1/webhooks').expect(200)).body.items).toEqual([]);

    const shape = await user.apiKey
      .post('/api/v1/config/plan')
      .set('Content-Type', 'text/yaml')
      .send(
        'webhooks:\n  - key: a\n    name: A\n    retentionDays: "30"\n    targets:\n      - { key: t, name: T, type: log, colour: red }\n',
      )
      .expect(400);
    expect(shape.body.errors).toEqual([
      { field: 'webhooks[0].retentionDays', message: 'webhooks[0].retentionDays must be an integer number' },
      {
        field: 'webhooks[0].targets[0].colour',
        message: 'webhooks[0].targets[0].colour: property colour should not exist',
      },
    ]);
    const placeholder = ordersDocument('${ORDERS_URL}');
    const unresolved = await user.apiKey.post('/api/v1/config/plan', placeholder).expect(400);
    expect(unresolved.body.errors[0].field).toBe('webhooks[0].targets[0].http.url');
    const nul = await user.apiKey
      .post('/api/v1/config/plan', { webhooks: [{ key: 'a', name: 'A', description: 'x\u0000y' }] })
      .expect(400);
    expect(nul.body.errors).toEqual([
      {
        field: 'webhooks[0].description',
        message: 'webhooks[0].description must not contain NUL characters',
      },
    ]);
    const duplicate = {
      webhooks: [
        { key: 'a', name: 'A' },
        { key: 'a', name: 'B' },
      ],
    };
    const twice = await user.apiKey.post('/api/v1/config/plan', duplicate).expect(400);
    expect(twice.body.errors).toEqual([
      { field: 'webhooks[1].key', message: 'webhooks[1].key "a" is used by another webhook' },
    ]);
    const retyped = ordersDocument();
    await user.apiKey.post('/api/v1/config/apply', retyped).expect(200);
    retyped.webhooks[0]!.targets[1] = { key: 'audit', name: 'Audit', type: 'database' } as never;
    const typeChange = await user.apiKey.post('/api/v1/config/plan', retyped).expect(400);
    expect(typeChange.body.errors[0].field).toBe('webhooks[0].targets[1].type');
  });

  it('rolls back everything when a write fails halfway through an apply', async () => {
    const user = await freshUser();
    // Fault injection: the database refuses the target named "explode", after the first webhook's rows are written.
    await withSql(testApp, (sql) =>
      sql.query(
        `CREATE FUNCTION test_explode() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN IF NEW.name = 'explode' THEN RAISE EXCEPTION 'injected failure'; END IF; RETURN NEW; END $$;
         CREATE TRIGGER test_explode BEFORE INSERT ON targets FOR EACH ROW EXECUTE FUNCTION test_explode();`,
      ),
    );
    try {
      const document = {
        webhooks: [
          ordersDocument().webhooks[0],
          { key: 'second', name: 'Second', targets: [{ key: 'boom', name: 'explode', type: 'log' }] },
        ],
      };
      await user.apiKey.post('/api/v1/config/apply', document).expect(500);
    } finally {
      await withSql(testApp, (sql) =>
        sql.query(`DROP TRIGGER test_explode ON targets; DROP FUNCTION test_explode();`),
      );
    }
    expect((await user.apiKey.get('/api/v1/webhooks').expect(200)).body.items).toEqual([]);
    const rows = await withSql(testApp, (sql) =>
      sql.query(`SELECT count(*)::int AS n FROM webhooks WHERE owner_id = $1`, [user.id]),
    );
    expect(rows.rows[0].n).toBe(0);
  });

  it('serialises concurrent applies of one owner: the second sees the first’s work', async () => {
    const user = await freshUser();
    const [a, b] = await Promise.all([
      user.apiKey.post('/api/v1/config/apply', ordersDocument()),
      user.apiKey.post('/api/v1/config/apply', ordersDocument()),
    ]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect([a.body.changes.length, b.body.changes.length].sort()).toEqual([0, 4]);
    const webhooks = (await user.apiKey.get('/api/v1/webhooks').expect(200)).body.items;
    expect(webhooks).toEqual([
      expect.objectContaining({ key: 'orders', entrypointCount: 1, targetCount: 2 }),
    ]);
  });

  describe('the CLI (apps/cli/webhooker.mjs)', () => {
    let env: Record<string, string>;

    beforeAll(async () => {
      const user = await freshUser();
      const key = await user.session.post('/api/v1/api-keys', { name: 'CI' }).expect(201);
      env = {
        WEBHOOKER_URL: testApp.url,
        WEBHOOKER_API_KEY: key.body.key,
        ORDERS_TARGET_URL: 'https://billing.example.com/hooks/orders',
        BILLING_TOKEN: 'b1ll1ng',
      };
    });

    it('plans (exit 2), applies (exit 0), then has nothing to do (exit 0), on the example file', async () => {
      const plan = await cli(['plan', '-f', EXAMPLE], env);
      expect(plan.stderr).toBe('');
      expect(plan.code).toBe(2);
      expect(plan.stdout).toContain('+ webhook orders\n    key: "orders"\n    name: "Orders"\n');
      expect(plan.stdout).toContain('+ target orders/billing\n');
      expect(plan.stdout).toContain('    http.headers: {"authorization":"(sensitive)"}\n');
      expect(plan.stdout).not.toContain('b1ll1ng');
      expect(plan.stdout).toContain('\nPlan: 4 to create, 0 to update, 0 to delete.\n');

      const apply = await cli(['apply', '-f', EXAMPLE], env);
      expect(apply.code).toBe(0);
      expect(apply.stdout).toContain('\nApply complete: 4 created, 0 updated, 0 deleted.\n');
      expect(apply.stdout).toMatch(
        new RegExp(`^entrypoint orders/shop: ${PUBLIC_URL}/webhook/[0-9a-f-]{36}$`, 'm'),
      );

      const again = await cli(['plan', '-f', EXAMPLE], env);
      expect(again).toEqual({
        code: 0,
        stdout: 'No changes: the configuration matches the document.\n',
        stderr: '',
      });
      const json = await cli(['plan', '-f', EXAMPLE, '--json'], env);
      expect(json.code).toBe(0);
      expect(JSON.parse(json.stdout)).toEqual({ changes: [] });

      const changed = await cli(['plan', '-f', EXAMPLE, '--json'], { ...env, BILLING_TOKEN: 'rotated' });
      expect(changed.code).toBe(2);
      expect(JSON.parse(changed.stdout).changes).toEqual([
        expect.objectContaining({
          action: 'update',
          key: 'billing',
          fields: [
            {
              field: 'http.headers',
              before: { authorization: 'Bearer b1ll1ng' },
              after: { authorization: 'Bearer rotated' },
            },
          ],
        }),
      ]);

      const exported = await cli(['export'], env);
      expect(exported.code).toBe(0);
      expect(parseYaml(exported.stdout).webhooks[0]).toEqual(
        expect.objectContaining({
          key: 'orders',
          targets: [expect.objectContaining({ key: 'audit' }), expect.objectContaining({ key: 'billing' })],
        }),
      );
    });

    it('exits 1 naming what is wrong', async () => {
      const { BILLING_TOKEN: _token, ...withoutToken } = env;
      expect(await cli(['plan', '-f', EXAMPLE], withoutToken)).toEqual({
        code: 1,
        stdout: '',
        stderr:
          'webhooker: BILLING_TOKEN is not set (used at webhooks[0].targets[0].http.headers.authorization)\n',
      });
      const bad = await cli(['apply', '-f', EXAMPLE], { ...env, ORDERS_TARGET_URL: 'http://127.0.0.1:9/x' });
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(
        /^webhooker: HTTP 400: .*\n {2}webhooks\[0\]\.targets\[0\]\.http\.url: webhooks\[0\]\.targets\[0\]\.http\.url is not allowed: /,
      );
      const file = path.join(mkdtempSync(path.join(tmpdir(), 'webhooker-')), 'broken.yaml');
      writeFileSync(file, 'webhooks: [');
      const broken = await cli(['plan', '-f', file], env);
      expect(broken.code).toBe(1);
      expect(broken.stderr).toMatch(/^webhooker: .*broken\.yaml is not valid YAML or JSON: /);
      const unauthorised = await cli(['plan', '-f', EXAMPLE], { ...env, WEBHOOKER_API_KEY: 'whk_not-a-key' });
      expect(unauthorised.code).toBe(1);
      expect(unauthorised.stderr).toMatch(/^webhooker: HTTP 401: /);
      const usage = await cli(['destroy'], env);
      expect(usage.code).toBe(1);
      expect(usage.stderr).toMatch(/^webhooker: usage: webhooker plan -f FILE/);
    });
  });
});
