// Runs webhooker (dist/apps/api/main.js) as a child process on its own embedded PostgreSQL,
// provisions it through the REST API, and counts rows in its database.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { clearTimeout, setTimeout } from 'node:timers';
import pg from 'pg';
import { fetch } from 'undici';
import { freePort, onCleanup, peakRss, resetPeakRss, sleep, waitFor } from './procs.mjs';

export const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');
const BUILD_DIR = path.join(REPO_ROOT, 'dist', 'apps', 'api');
let mainJs;

/**
 * Copies the build (dist/apps/api) to a temporary folder once, so a rebuild in the workspace while
 * the bench runs (tests build it too) cannot change or remove what is measured. The copy sees the
 * workspace's node_modules through a symlink. Returns a function that removes the copy.
 */
export function snapshotBuild() {
  if (!existsSync(path.join(BUILD_DIR, 'main.js'))) {
    throw new Error(`${BUILD_DIR}/main.js is missing: run npx nx run api:build first`);
  }
  const root = mkdtempSync(path.join(os.tmpdir(), 'webhooker-bench-build-'));
  cpSync(BUILD_DIR, path.join(root, 'dist', 'apps', 'api'), { recursive: true });
  cpSync(path.join(REPO_ROOT, 'package.json'), path.join(root, 'package.json'));
  symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(root, 'node_modules'), 'dir');
  mainJs = path.join(root, 'dist', 'apps', 'api', 'main.js');
  return () => rmSync(root, { recursive: true, force: true });
}
/** main.js of the build snapshot. */
export function builtMain() {
  if (!mainJs) throw new Error('snapshotBuild() first');
  return mainJs;
}
/** A module of the build snapshot (for scenarios that measure a part of webhooker in this process). */
export function requireBuilt(file) {
  if (!mainJs) throw new Error('snapshotBuild() first');
  return createRequire(mainJs)(path.join(path.dirname(mainJs), file));
}

export const ADMIN_PASSWORD = 'bench-admin-password';
/** Node's flags in `npm start` and the Docker image. */
const NODE_FLAGS = ['--max-semi-space-size=16'];
const LOG_TAIL_LINES = 40;
const STOP_TIMEOUT_MS = 60_000;

/**
 * Starts webhooker and waits for GET /readyz = 200. `workDir` is the scenario's fresh temporary
 * folder (its working directory, so no `.env` of the repository is read); the database lives in
 * `<workDir>/data`. Same workDir and ports = same database (a restart). `webhookerEnv`: settings
 * added to (or replacing) the bench's.
 */
export async function startWebhooker({
  workDir,
  port,
  pgPort,
  role = 'all',
  cpuProfileDir,
  webhookerEnv = {},
  memoryCgroup,
}) {
  const dataDir = path.join(workDir, 'data');
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    DATABASE_URL: '',
    DATA_DIR: dataDir,
    EMBEDDED_POSTGRES_PORT: String(pgPort),
    ADMIN_PASSWORD,
    ALLOW_PRIVATE_TARGETS: 'true',
    INSTANCE_ID: 'bench',
    ROLE: role,
    ...webhookerEnv,
  };
  if (!mainJs) throw new Error('snapshotBuild() first');
  const args = [
    ...NODE_FLAGS,
    ...(cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfileDir}`] : []),
    mainJs,
  ];
  const spawnedAt = Date.now();
  const options = { cwd: workDir, env, stdio: ['ignore', 'pipe', 'pipe'] };
  // In a memory cgroup: a shell joins it, then becomes node (same pid), which sees its limit.
  const child = memoryCgroup
    ? spawn(
        '/bin/sh',
        ['-c', 'echo $$ > "$0" && exec "$@"', memoryCgroup, process.execPath, ...args],
        options,
      )
    : spawn(process.execPath, args, options);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const logTail = [];
  let warnings = 0;
  for (const stream of [child.stdout, child.stderr]) {
    stream.setEncoding('utf8');
    let partial = '';
    stream.on('data', (chunk) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop();
      for (const line of lines) {
        if (!line.trim()) continue;
        warnings++;
        logTail.push(line.length > 500 ? `${line.slice(0, 500)}…` : line);
        if (logTail.length > LOG_TAIL_LINES) logTail.shift();
      }
    });
  }

  const baseUrl = `http://127.0.0.1:${port}`;
  let stopped = false;
  const stop = async () => {
    if (stopped) return exited;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    let timer;
    const result = await Promise.race([
      exited,
      new Promise((resolve) => (timer = setTimeout(() => resolve(null), STOP_TIMEOUT_MS))),
    ]);
    clearTimeout(timer);
    if (result) return result;
    child.kill('SIGKILL');
    killOrphanPostgres(dataDir);
    return exited;
  };
  const unregister = onCleanup(stop);

  const handle = {
    pid: child.pid,
    port,
    baseUrl,
    dataDir,
    role,
    /** Lines webhooker printed (LOG_LEVEL=warn: warnings and errors only). */
    get warnings() {
      return warnings;
    },
    logTail: () => logTail.join('\n'),
    peakRss: () => peakRss(child.pid),
    /** Returns the peak RSS so far and starts a new one. */
    takePeakRss() {
      const peak = peakRss(child.pid);
      resetPeakRss(child.pid);
      return peak;
    },
    startupMs: undefined,
    async stop() {
      unregister();
      const result = await stop();
      if (result.code !== 0) throw new Error(`webhooker exited with ${result.code ?? result.signal}`);
    },
  };
  try {
    await waitFor(
      'webhooker /readyz',
      async () => {
        if (child.exitCode !== null) throw new Error(`webhooker exited with ${child.exitCode}`);
        try {
          const response = await fetch(`${baseUrl}/readyz`);
          await response.body?.cancel();
          return response.status === 200;
        } catch {
          return false;
        }
      },
      { timeoutMs: 90_000, intervalMs: 50 },
    );
  } catch (error) {
    unregister();
    await stop();
    error.message += `\n--- webhooker output ---\n${logTail.join('\n')}`;
    throw error;
  }
  handle.startupMs = Date.now() - spawnedAt;
  return handle;
}

/** After a SIGKILL, the embedded PostgreSQL would be left running: stop it too. */
function killOrphanPostgres(dataDir) {
  const pidFile = path.join(dataDir, 'postgres', 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (Number.isInteger(pid) && pid > 0) {
    try {
      process.kill(pid, 'SIGQUIT');
    } catch {
      // already gone
    }
  }
}

/**
 * The start of a standalone bench (search, retention, a target's list): the build snapshotted, a work
 * folder of its own named after `name` (PostgreSQL, which runs as its own user when the bench runs as
 * root, must be able to enter it), webhooker with `ROLE=api` on a fresh embedded PostgreSQL, and a
 * client of that database (and its port). `cleanupAll()` undoes it all, the folder kept with `keep`.
 */
export async function startStandalone(name, { keep = false } = {}) {
  onCleanup(snapshotBuild());
  const workDir = mkdtempSync(path.join(os.tmpdir(), `webhooker-bench-${name}-`));
  chmodSync(workDir, 0o755);
  if (!keep) onCleanup(() => rmSync(workDir, { recursive: true, force: true }));
  const pgPort = await freePort();
  const webhooker = await startWebhooker({ workDir, port: await freePort(), pgPort, role: 'api' });
  onCleanup(() => webhooker.stop());
  const db = await connectDatabase(webhooker.dataDir, pgPort);
  onCleanup(() => db.end());
  return { webhooker, db, pgPort };
}

/** A JSON request to webhooker's API; throws unless it answers 2xx. */
export async function request(baseUrl, method, route, { body, headers = {} } = {}) {
  const response = await fetch(`${baseUrl}${route}`, {
    method,
    headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${route} answered ${response.status}: ${text}`);
  return { response, json: text ? JSON.parse(text) : undefined };
}

/** Logs in as the admin: the session's cookie, and the CSRF token its changes need. */
export async function logIn(baseUrl) {
  const login = await request(baseUrl, 'POST', '/api/v1/auth/login', {
    body: { username: 'admin', password: ADMIN_PASSWORD },
  });
  if (login.response.status !== 200) throw new Error(`login answered ${login.response.status}`);
  const cookie = login.response.headers
    .getSetCookie()
    .map((header) => header.split(';')[0])
    .join('; ');
  return { cookie, csrfToken: login.json.csrfToken };
}

/** Logs in as the admin and returns the headers of a new API key of theirs, named `name`. */
export async function adminAuth(baseUrl, name = 'bench') {
  const { cookie, csrfToken } = await logIn(baseUrl);
  const { json: apiKey } = await request(baseUrl, 'POST', '/api/v1/api-keys', {
    body: { name },
    headers: { cookie, 'x-csrf-token': csrfToken },
  });
  return { authorization: `Bearer ${apiKey.key}` };
}

/**
 * Creates one webhook with `targets` `http` targets pointing at `${sinkUrl}/t/<n>` (concurrency 64,
 * 3 retries), the way an integrator would: log in, create an API key, then use it; the
 * entrypoint gets the `entrypoint` settings (`verification`, `dedup`) when given, and every target
 * the `filter` and the `transform` when given. Returns the entrypoint's URL.
 */
export async function provision(baseUrl, { sinkUrl, targets, entrypoint: settings, filter, transform }) {
  const auth = await adminAuth(baseUrl);
  const { json: webhook } = await request(baseUrl, 'POST', '/api/v1/webhooks', {
    body: { name: 'bench' },
    headers: auth,
  });
  for (let n = 0; n < targets; n++) {
    await request(baseUrl, 'POST', `/api/v1/webhooks/${webhook.id}/targets`, {
      body: {
        name: `sink ${n}`,
        type: 'http',
        http: { url: `${sinkUrl}/t/${n}`, concurrency: 64, maxRetries: 3 },
        ...(filter ? { filter } : {}),
        ...(transform ? { transform } : {}),
      },
      headers: auth,
    });
  }
  const entrypoint = webhook.entrypoints[0];
  if (!entrypoint) throw new Error('the new webhook has no entrypoint');
  if (settings) {
    await request(baseUrl, 'PATCH', `/api/v1/entrypoints/${entrypoint.id}`, {
      body: settings,
      headers: auth,
    });
  }
  return { webhookId: webhook.id, entrypointUrl: entrypoint.url };
}

/** A client of webhooker's embedded PostgreSQL (password from `<DATA_DIR>/postgres.password`). */
export async function connectDatabase(dataDir, pgPort) {
  const password = readFileSync(path.join(dataDir, 'postgres.password'), 'utf8').trim();
  const client = new pg.Client({
    connectionString: `postgres://webhooker:${password}@127.0.0.1:${pgPort}/webhooker`,
  });
  client.on('error', () => {});
  await client.connect();
  return client;
}

/** Rows that say what happened: events stored, deliveries by status, attempts made. */
export async function countRows(db) {
  const { rows } = await db.query(`
    SELECT (SELECT count(*) FROM events)::int AS events,
           (SELECT count(*) FROM deliveries)::int AS deliveries,
           (SELECT count(*) FROM deliveries WHERE status = 'delivered')::int AS delivered,
           (SELECT count(*) FROM deliveries WHERE status = 'failed')::int AS failed,
           (SELECT count(*) FROM delivery_attempts)::int AS attempts`);
  return rows[0];
}

/** Waits (bounded) until the database shows `delivered` deliveries, then returns the counts. */
export async function waitForDelivered(db, delivered, timeoutMs) {
  let counts;
  try {
    await waitFor(
      `${delivered} delivered rows`,
      async () => {
        counts = await countRows(db);
        return counts.delivered >= delivered;
      },
      { timeoutMs, intervalMs: 250 },
    );
  } catch {
    // the caller compares and reports the counts
  }
  await sleep(300);
  return countRows(db);
}
