import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const REQUIRED_BUILDS = ['dist/apps/api/main.js', 'dist/apps/web/index.html'];
const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 60_000;
const READY_POLL_MS = 250;
const STOP_TIMEOUT_MS = 30_000;
const OUTPUT_LIMIT = 64 * 1024;

export const ADMIN_PASSWORD = 'e2e-admin-password';

export interface RunningServer {
  baseUrl: string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function requireBuilds(): void {
  const missing = REQUIRED_BUILDS.filter((file) => !existsSync(path.join(ROOT, file)));
  if (missing.length > 0) {
    throw new Error(
      `${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} missing: run \`npx nx run-many -t build -p api web\` first`,
    );
  }
}

/**
 * Whether /readyz answers as webhooker does: a server that took the port before the child could
 * listen on it (the child then exits, address in use) may answer 200 too, but not this body.
 */
async function isReady(baseUrl: string): Promise<boolean> {
  try {
    const response = await fetch(`${baseUrl}/readyz`);
    return response.status === 200 && (await response.text()) === '{"status":"ok"}';
  } catch {
    return false;
  }
}

/**
 * Starts the built webhooker (`node dist/apps/api/main.js`) on a free port of 127.0.0.1, with its
 * own embedded PostgreSQL in a fresh temporary DATA_DIR, and waits until /readyz answers that it is ready.
 */
export async function startServer(): Promise<RunningServer> {
  requireBuilds();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'webhooker-e2e-'));
  const port = await freePort();
  const baseUrl = `http://${HOST}:${port}`;
  const child = spawn(process.execPath, [path.join(ROOT, 'dist/apps/api/main.js')], {
    // Run from the data folder, so no .env of the workspace (a DATABASE_URL, say) is picked up.
    cwd: dataDir,
    env: {
      PATH: process.env.PATH,
      PORT: String(port),
      HOST,
      DATA_DIR: dataDir,
      EMBEDDED_POSTGRES_PORT: String(await freePort()),
      ADMIN_PASSWORD,
      // Entrypoint URLs as the tests reach the server; targets on 127.0.0.1 (the tests' sinks).
      PUBLIC_URL: baseUrl,
      ALLOW_PRIVATE_TARGETS: 'true',
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      // Every test file logs in (the admin a dozen times a minute); the limits are tested in the API suite.
      LOGIN_RATE_LIMIT: '1000',
      LOGIN_RATE_LIMIT_PER_ADDRESS: '1000',
      // The overview's statistics are rolled up every half second instead of every 5 s.
      STATS_ROLLUP_INTERVAL_MS: '500',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });

  let output = '';
  const keepOutput = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_LIMIT);
  };
  child.stdout.on('data', keepOutput);
  child.stderr.on('data', keepOutput);
  let exitStatus: string | undefined;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exitStatus = signal ?? `exit code ${code}`;
      resolve();
    }),
  );

  const terminate = async (): Promise<void> => {
    if (exitStatus === undefined) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dataDir, { recursive: true, force: true });
  };

  const stop = async (): Promise<void> => {
    await terminate();
    if (exitStatus !== 'exit code 0') {
      throw new Error(`webhooker did not stop cleanly on SIGTERM (${exitStatus}). Its output:\n${output}`);
    }
  };

  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!(await isReady(baseUrl))) {
    if (exitStatus !== undefined || Date.now() > deadline) {
      const reason =
        exitStatus === undefined
          ? `was not ready within ${READY_TIMEOUT_MS / 1000} s`
          : `exited during start-up (${exitStatus})`;
      await terminate();
      throw new Error(`webhooker ${reason}. Its output:\n${output || '(none)'}`);
    }
    await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
  }
  return { baseUrl, stop };
}
