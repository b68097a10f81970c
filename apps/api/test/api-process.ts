import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { childPort } from './global-setup';
import { ADMIN_PASSWORD } from './test-app';
import { waitFor } from './sink';

const MAIN = path.resolve(__dirname, '../../../dist/apps/api/main.js');
/** What /readyz answers when the API is ready. */
const READY_BODY = '{"status":"ok"}';
/** Starts on another port after the child lost its port to another server. */
const START_TRIES = 3;

/** The child exited during start-up; `lostPort` when another server had taken its port. */
class StartFailed extends Error {
  readonly lostPort: boolean;

  constructor(code: number, output: string) {
    super(`the API exited (${code}):\n${output}`);
    this.lostPort = output.includes('EADDRINUSE');
  }
}

/**
 * Whether the API at `url` answers /readyz as the API does (200 and its probe body): any server
 * answers 200, and one that took a child's port before it could listen answers in its place.
 */
export async function answersReadiness(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/readyz`);
    return response.ok && (await response.text()) === READY_BODY;
  } catch {
    return false;
  }
}

/** The built API (dist/apps/api/main.js) as a child process, on 127.0.0.1. */
export class ApiProcess {
  output = '';
  private exited: Promise<number | null>;

  private constructor(
    readonly child: ChildProcess,
    readonly url: string,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /**
   * Spawns the API on a port from childPort(), below the range the kernel gives servers listening
   * on port 0 (no sink or in-process app of another test can take it before the child listens),
   * and waits until /readyz answers with the API's own body (any server answers 200). A child that
   * lost its port all the same, to another test's child that picked it too, exits with EADDRINUSE
   * and is started again on another port.
   */
  static async start(databaseUrl: string, env: Record<string, string> = {}): Promise<ApiProcess> {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npx nx run api:build first`);
    for (let tries = 1; ; tries++) {
      const api = ApiProcess.spawn(databaseUrl, env, await childPort());
      try {
        await waitFor(
          async () => {
            if (api.child.exitCode !== null) throw new StartFailed(api.child.exitCode, api.output);
            return answersReadiness(api.url);
          },
          30_000,
          'the API to be ready',
        );
        return api;
      } catch (error) {
        api.child.kill('SIGKILL');
        if (!(error instanceof StartFailed && error.lostPort && tries < START_TRIES)) throw error;
      }
    }
  }

  private static spawn(databaseUrl: string, env: Record<string, string>, port: number): ApiProcess {
    const child = spawn(process.execPath, [MAIN], {
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'production',
        LOG_LEVEL: 'warn',
        HOST: '127.0.0.1',
        PORT: String(port),
        PUBLIC_URL: `http://127.0.0.1:${port}`,
        DATABASE_URL: databaseUrl,
        DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'webhooker-process-')),
        ADMIN_PASSWORD,
        ALLOW_PRIVATE_TARGETS: 'true',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const api = new ApiProcess(child, `http://127.0.0.1:${port}`);
    child.stdout!.on('data', (chunk) => (api.output += chunk));
    child.stderr!.on('data', (chunk) => (api.output += chunk));
    return api;
  }

  /** SIGKILL: no shutdown of any kind. */
  async kill(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM, then waits for the graceful shutdown to end; returns the exit code. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode === null) this.child.kill('SIGTERM');
    return this.exited;
  }

  /** A metric's value from /metrics (the first sample of that name). */
  async metric(name: string): Promise<number> {
    const text = await (await fetch(`${this.url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
    if (!line) throw new Error(`metric ${name} not found`);
    return Number(line.split(' ').pop());
  }
}

/** An API key for the admin of a running API. */
export async function adminApiKey(url: string): Promise<string> {
  return userApiKey(url, 'admin', ADMIN_PASSWORD);
}

/** An API key for a user of a running API, made in a session of theirs. */
export async function userApiKey(url: string, username: string, password: string): Promise<string> {
  const login = await fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  const { csrfToken } = (await login.json()) as { csrfToken: string };
  const created = await fetch(`${url}/api/v1/api-keys`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      cookie: login.headers.getSetCookie().join('; '),
      'x-csrf-token': csrfToken,
    },
    body: JSON.stringify({ name: 'process tests' }),
  });
  return ((await created.json()) as { key: string }).key;
}

/** Calls the API with a key; throws on a non-2xx answer. */
export async function call<T>(
  url: string,
  key: string,
  method: string,
  path: string,
  body?: object,
): Promise<T> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** A webhook as the API answers when it is made (what these tests use of it). */
export interface MadeWebhook {
  id: string;
  entrypoints: { id: string; url: string }[];
}

/** Makes, through the API at `url`, a webhook named `name` with one `http` target. */
export async function webhookWithHttpTarget(
  url: string,
  key: string,
  name: string,
  target: { name: string; http: object },
): Promise<MadeWebhook> {
  const webhook = await call<MadeWebhook>(url, key, 'POST', '/api/v1/webhooks', { name });
  await call(url, key, 'POST', `/api/v1/webhooks/${webhook.id}/targets`, { ...target, type: 'http' });
  return webhook;
}

/** Posts `count` events to an entrypoint, `concurrency` at a time; returns the event ids (all must be 200). */
export async function ingest(
  entrypointUrl: string,
  count: number,
  concurrency = 20,
  paddingChars = 200,
): Promise<string[]> {
  const ids: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const n = next++;
        const response = await fetch(entrypointUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ n, padding: 'x'.repeat(paddingChars) }),
        });
        if (response.status !== 200)
          throw new Error(`ingest answered ${response.status}: ${await response.text()}`);
        ids.push(((await response.json()) as { eventId: string }).eventId);
      }
    }),
  );
  return ids;
}
