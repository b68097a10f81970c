import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { processIsAlive } from '../src/database/embedded-postgres';
import { answersReadiness } from './api-process';
import { childPort } from './global-setup';
import { waitFor } from './sink';

const MAIN = path.resolve(__dirname, '../../../dist/apps/api/main.js');

/** Launches the built API with no DATABASE_URL (so on its embedded PostgreSQL) in its own process group. */
async function launch(dataDir: string, env: Record<string, string> = {}) {
  const port = await childPort();
  const child = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATA_DIR: dataDir,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { child, url: `http://127.0.0.1:${port}`, exited, output: () => output };
}

/** Launches the API on its embedded PostgreSQL and waits until it answers /readyz. */
async function start(dataDir: string, env: Record<string, string> = {}) {
  const api = await launch(dataDir, env);
  await waitFor(
    async () => {
      if (api.child.exitCode !== null) throw new Error(api.output());
      return answersReadiness(api.url);
    },
    60_000,
    'the API on its embedded PostgreSQL',
  );
  return api;
}

/** The lines of the cluster's postmaster.pid: [pid, data dir, start, port, socket dir, listen address, …]. */
function postmasterPid(dataDir: string): string[] {
  return readFileSync(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n');
}

// `npm start` on a fresh machine: no DATABASE_URL, an embedded PostgreSQL in DATA_DIR, the first
// admin's password on stdout, a clean stop on Ctrl-C (SIGINT to the whole process group) and on
// SIGTERM, and the data reused by the next start.
describe('start on the embedded PostgreSQL', () => {
  it('prints the first password once, stops cleanly on SIGINT and SIGTERM, and reuses its data', async () => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npx nx run api:build first`);
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'webhooker-start-'));
    const first = await start(dataDir);
    const password = /password: (\S+)/.exec(first.output())?.[1];
    expect(password).toMatch(/^[A-Za-z0-9_-]{20}$/);
    const logLines = first
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'));
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.filter((line) => line.includes(password!))).toEqual([]);
    const login = await fetch(`${first.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password }),
    });
    expect(login.status).toBe(200);
    const serverPid = Number(postmasterPid(dataDir)[0]);

    process.kill(-first.child.pid!, 'SIGINT');
    expect(await first.exited).toBe(0);
    expect(first.output()).toContain('SIGINT: shutting down');
    expect(first.output()).toContain('"msg":"Stopped"');
    expect(processIsAlive(serverPid)).toBe(false);

    // EMBEDDED_POSTGRES_PORT overrides the socket: the same cluster on that port of 127.0.0.1.
    const port = await childPort();
    const second = await start(dataDir, { EMBEDDED_POSTGRES_PORT: String(port) });
    expect(second.output()).not.toContain('password:');
    expect(postmasterPid(dataDir).slice(3, 6)).toEqual([String(port), '', '127.0.0.1']);
    const again = await fetch(`${second.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password }),
    });
    expect(again.status).toBe(200);
    process.kill(second.child.pid!, 'SIGTERM');
    expect(await second.exited).toBe(0);
    expect(second.output()).toContain('SIGTERM: shutting down');
    expect(existsSync(path.join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false);
  }, 120_000);

  it('runs two instances with their own DATA_DIRs side by side, refuses a DATA_DIR in use and stops an orphaned server', async () => {
    const short = mkdtempSync(path.join(os.tmpdir(), 'webhooker-start-'));
    // Too long for a Unix socket path (.s.PGSQL.5432 appended): falls back to a loopback port.
    const parent = mkdtempSync(path.join(os.tmpdir(), 'webhooker-start-'));
    chmodSync(parent, 0o755);
    const long = path.join(parent, 'd'.repeat(90));
    const running: Awaited<ReturnType<typeof start>>[] = [];
    try {
      const a = await start(short);
      running.push(a);
      const b = await start(long);
      running.push(b);
      expect((await fetch(`${a.url}/readyz`)).status).toBe(200);
      expect((await fetch(`${b.url}/readyz`)).status).toBe(200);
      const socketServer = postmasterPid(short);
      expect(socketServer[4]).toBe(short);
      expect(socketServer[5]).toBe('');
      const tcpServer = postmasterPid(long);
      expect(tcpServer[5]).toBe('127.0.0.1');
      expect(tcpServer[3]).toBe(readFileSync(path.join(long, 'postgres.port'), 'utf8'));

      const intruder = await launch(short);
      expect(await intruder.exited).toBe(1);
      expect(intruder.output()).not.toContain('    at ');
      expect(intruder.output().trim().split('\n').pop()).toBe(
        `webhooker: ${short} is in use by webhooker process ${a.child.pid}; stop it or set another DATA_DIR`,
      );

      // kill -9 of webhooker alone leaves its server running (its own process group): an orphan.
      const orphan = Number(socketServer[0]);
      a.child.kill('SIGKILL');
      await a.exited;
      expect(processIsAlive(orphan)).toBe(true);
      const again = await start(short);
      running.push(again);
      expect(processIsAlive(orphan)).toBe(false);
      expect(Number(postmasterPid(short)[0])).not.toBe(orphan);
      process.kill(again.child.pid!, 'SIGTERM');
      expect(await again.exited).toBe(0);
    } finally {
      for (const api of running) if (api.child.exitCode === null) api.child.kill('SIGTERM');
      await Promise.all(running.map((api) => api.exited));
    }
  }, 180_000);
});
