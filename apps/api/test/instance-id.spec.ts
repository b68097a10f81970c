import { mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { ConfigError, loadConfig } from '../src/config/config';
import { InstanceIdLock } from '../src/delivery/instance-id';
import { ApiProcess } from './api-process';
import { waitFor } from './sink';
import { TcpProxy } from './tcp-proxy';
import { createTestDatabase } from './test-database';

// Two replicas with one INSTANCE_ID would each take the other's leases as their own: the second
// is refused at start, for as long as the first runs (a session advisory lock on the database).
describe('one process per INSTANCE_ID on a database', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let sql: Client;
  const running: ApiProcess[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    sql = new Client({ connectionString: database.url });
    await sql.connect();
  });

  afterAll(async () => {
    await Promise.all(running.map((api) => api.stop()));
    await sql.end();
    await database.drop();
  });

  /** Starts the built API and remembers it for the clean-up. */
  async function start(env: Record<string, string>): Promise<ApiProcess> {
    const api = await ApiProcess.start(database.url, env);
    running.push(api);
    return api;
  }

  /** Starts the built API expecting it to be refused; returns the last line it printed. */
  async function refusal(env: Record<string, string>): Promise<string> {
    const error: Error = await ApiProcess.start(database.url, env).then(
      (api) => {
        running.push(api);
        throw new Error('the second process started');
      },
      (refused: Error) => refused,
    );
    expect(error.message).toMatch(/^the API exited \(1\)/);
    expect(error.message).not.toContain('    at ');
    return error.message.trim().split('\n').pop()!;
  }

  /** Advisory locks held on the database (the instance id locks). */
  async function advisoryLocks(): Promise<number> {
    const { rows } = await sql.query<{ count: number }>(
      `SELECT count(*)::int AS count FROM pg_locks
        WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    );
    return rows[0]!.count;
  }

  it('refuses a second process with the same INSTANCE_ID until the first stops, and after kill -9', async () => {
    const env = { INSTANCE_ID: 'twin' };
    const first = await start(env);
    expect(await refusal(env)).toBe(
      'webhooker: INSTANCE_ID "twin" is in use by another running webhooker on this database; give each replica its own INSTANCE_ID',
    );
    expect((await fetch(`${first.url}/readyz`)).status).toBe(200);

    expect(await first.stop()).toBe(0);
    const second = await start(env);
    expect(await advisoryLocks()).toBe(1);

    await second.kill();
    // Nothing released the lock but the death of the process: its connection closed.
    await waitFor(async () => (await advisoryLocks()) === 0, 10_000, 'the killed process to lose its lock');
    const third = await start(env);
    expect((await fetch(`${third.url}/readyz`)).status).toBe(200);
  }, 120_000);

  it('refuses a second process sharing the first one’s DATA_DIR (and so its generated id)', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'webhooker-shared-'));
    await start({ DATA_DIR: dataDir });
    const line = await refusal({ DATA_DIR: dataDir });
    expect(line).toMatch(
      /^webhooker: INSTANCE_ID "wh-[0-9a-f]{12}" \(read from .+\/instance-id: replicas must not share DATA_DIR\) is in use by another running webhooker on this database; give each replica its own INSTANCE_ID$/,
    );
  }, 60_000);
});

// The lock lives as long as its connection: a connection lost while running, loudly or silently,
// is re-opened and the lock taken again, so the guarantee outlives a database restart or a partition.
describe('the INSTANCE_ID lock of a running process', () => {
  it('is taken again after its connection is terminated or goes silently dead', async () => {
    const database = await createTestDatabase();
    const proxy = await TcpProxy.start(database.url);
    const sql = new Client({ connectionString: database.url });
    await sql.connect();
    const config = { ...loadConfig({ DB_PING_INTERVAL_MS: '300' }), databaseUrl: proxy.url };
    const lock = new InstanceIdLock(config, 'relock');
    try {
      await lock.onModuleInit();
      /** Backends holding the advisory lock of the instance 'relock'. */
      const holders = async () =>
        (
          await sql.query<{ pid: number }>(
            `SELECT l.pid FROM pg_locks l JOIN pg_stat_activity a USING (pid)
              WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = 'webhooker relock'`,
          )
        ).rows.map((row) => row.pid);
      const retaken = (previous: number) =>
        waitFor(
          async () => {
            const pids = await holders();
            return pids.length === 1 && pids[0] !== previous ? pids[0] : undefined;
          },
          15_000,
          'the lock to be taken again',
        );
      const [first] = await holders();
      expect(first).toEqual(expect.any(Number));

      await sql.query('SELECT pg_terminate_backend($1)', [first]);
      const second = (await retaken(first!))!;
      const twin = new InstanceIdLock({ ...config, databaseUrl: database.url }, 'relock');
      await expect(twin.onModuleInit()).rejects.toThrow(ConfigError);

      const connections = proxy.connections;
      proxy.freeze();
      // The ping finds the dead connection; the server still holds the lock for it until it closes.
      await waitFor(() => proxy.connections > connections, 15_000, 'the lock connection to be re-opened');
      expect(await holders()).toEqual([second]);
      proxy.sever();
      await retaken(second);
    } finally {
      await lock.onApplicationShutdown();
      await proxy.close();
      await sql.end();
      await database.drop();
    }
  }, 60_000);
});
