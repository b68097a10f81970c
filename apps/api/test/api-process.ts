import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from './global-setup';
import { ADMIN_PASSWORD } from './test-app';
import { waitFor } from './sink';

const MAIN = path.resolve(__dirname, '../../../dist/apps/api/main.js');

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

  static async start(databaseUrl: string, env: Record<string, string> = {}): Promise<ApiProcess> {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npx nx run api:build first`);
    const port = await freePort();
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
    try {
      await waitFor(
        async () => {
          if (child.exitCode !== null) throw new Error(`the API exited (${child.exitCode}):\n${api.output}`);
          return fetch(`${api.url}/readyz`).then(
            (response) => response.ok,
            () => false,
          );
        },
        30_000,
        'the API to be ready',
      );
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
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
  const login = await fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
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
export async function ingest(entrypointUrl: string, count: number, concurrency = 20): Promise<string[]> {
  const ids: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const n = next++;
        const response = await fetch(entrypointUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ n, padding: 'x'.repeat(200) }),
        });
        if (response.status !== 200)
          throw new Error(`ingest answered ${response.status}: ${await response.text()}`);
        ids.push(((await response.json()) as { eventId: string }).eventId);
      }
    }),
  );
  return ids;
}
