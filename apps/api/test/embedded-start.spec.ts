import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { processIsAlive } from '../src/database/embedded-postgres';
import { freePort } from './global-setup';
import { waitFor } from './sink';

const MAIN = path.resolve(__dirname, '../../../dist/apps/api/main.js');

/** Starts the built API with no DATABASE_URL (so on its embedded PostgreSQL) in its own process group. */
async function start(dataDir: string) {
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATA_DIR: dataDir,
      EMBEDDED_POSTGRES_PORT: String(await freePort()),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    () =>
      fetch(`${url}/readyz`).then(
        (r) => r.ok,
        () => child.exitCode !== null && Promise.reject(new Error(output)),
      ),
    60_000,
    'the API on its embedded PostgreSQL',
  );
  return { child, url, exited, output: () => output };
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
    const serverPid = Number(
      readFileSync(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0],
    );

    process.kill(-first.child.pid!, 'SIGINT');
    expect(await first.exited).toBe(0);
    expect(first.output()).toContain('SIGINT: shutting down');
    expect(first.output()).toContain('"msg":"Stopped"');
    expect(processIsAlive(serverPid)).toBe(false);

    const second = await start(dataDir);
    expect(second.output()).not.toContain('password:');
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
});
