import { mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { ApiProcess } from './api-process';
import { waitFor } from './sink';
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
