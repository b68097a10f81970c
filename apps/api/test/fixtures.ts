import { Client as PgClient } from 'pg';
import type { Test } from 'supertest';
import { login, TestApp } from './test-app';

/** One way of calling the API as a user: their session (with the CSRF token) or one of their API keys. */
export interface ApiClient {
  get(path: string): Test;
  post(path: string, body?: object): Test;
  patch(path: string, body: object): Test;
  delete(path: string): Test;
}

export function sessionClient(session: Awaited<ReturnType<typeof login>>): ApiClient {
  const { agent, csrfToken } = session;
  return {
    get: (path) => agent.get(path),
    post: (path, body) => {
      const request = agent.post(path).set('x-csrf-token', csrfToken);
      return body === undefined ? request : request.send(body);
    },
    patch: (path, body) => agent.patch(path).set('x-csrf-token', csrfToken).send(body),
    delete: (path) => agent.delete(path).set('x-csrf-token', csrfToken),
  };
}

export function apiKeyClient(testApp: TestApp, key: string): ApiClient {
  const auth = (request: Test) => request.set('Authorization', `Bearer ${key}`);
  return {
    get: (path) => auth(testApp.request().get(path)),
    post: (path, body) => {
      const request = auth(testApp.request().post(path));
      return body === undefined ? request : request.send(body);
    },
    patch: (path, body) => auth(testApp.request().patch(path)).send(body),
    delete: (path) => auth(testApp.request().delete(path)),
  };
}

export interface TestUser {
  id: string;
  username: string;
  /** Logged in with a session. */
  session: ApiClient;
  /** Authenticated with one of the user's API keys. */
  apiKey: ApiClient;
}

/** Logs a user in and gives them an API key: both ways of calling the API. */
export async function asUser(testApp: TestApp, username: string, password: string): Promise<TestUser> {
  const logged = await login(testApp, username, password);
  const session = sessionClient(logged);
  const key = await session.post('/api/v1/api-keys', { name: `${username}'s key` }).expect(201);
  return {
    id: logged.user.id,
    username,
    session,
    apiKey: apiKeyClient(testApp, key.body.key),
  };
}

/** Creates a member (with the admin's session) and logs them in. */
export async function createMember(testApp: TestApp, admin: TestUser, username: string): Promise<TestUser> {
  const password = 'password-123';
  await admin.session.post('/api/v1/users', { username, password, role: 'member' }).expect(201);
  return asUser(testApp, username, password);
}

/** Runs `work` with a plain PostgreSQL connection to the test app's database. */
export async function withSql<T>(testApp: TestApp, work: (sql: PgClient) => Promise<T>): Promise<T> {
  const client = new PgClient({ connectionString: testApp.databaseUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Polls `check` until it returns true, at most `timeoutMs`; fails with `what` otherwise. */
export async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export const MISSING_ID = '00000000-0000-4000-8000-000000000000';

/** Inserts one event of the webhook straight into the table; returns its id. */
export async function seedEvent(sql: PgClient, webhookId: string, entrypointId: string): Promise<string> {
  const { rows } = await sql.query(
    `INSERT INTO events (id, webhook_id, entrypoint_id, method, path, headers, body, content_type)
     VALUES (gen_random_uuid(), $1, $2, 'POST', $3, '{}', '\\x7b7d', 'application/json')
     RETURNING id`,
    [webhookId, entrypointId, `/webhook/${entrypointId}`],
  );
  return rows[0].id;
}

/**
 * Inserts a delivery in the given state; returns its id. Unfinished ones are leased by another
 * instance for a day, so the app's delivery engine leaves them alone while the test looks at them.
 */
export async function seedDelivery(
  sql: PgClient,
  delivery: { eventId: string; webhookId: string; targetId: string; status: string },
): Promise<string> {
  const { rows } = await sql.query(
    `INSERT INTO deliveries (id, event_id, webhook_id, target_id, status, next_attempt_at, lease_expires_at, leased_by)
     VALUES (gen_random_uuid(), $1, $2, $3, $4::varchar,
             CASE WHEN $4::varchar IN ('pending', 'retrying') THEN now() + interval '1 day' END,
             CASE WHEN $4::varchar IN ('pending', 'retrying') THEN now() + interval '1 day' END,
             CASE WHEN $4::varchar IN ('pending', 'retrying') THEN 'seeded-by-test' END)
     RETURNING id`,
    [delivery.eventId, delivery.webhookId, delivery.targetId, delivery.status],
  );
  return rows[0].id;
}

/** The status of each delivery, by id. */
export async function deliveryStatuses(sql: PgClient, ids: string[]): Promise<Record<string, string>> {
  const { rows } = await sql.query(`SELECT id, status FROM deliveries WHERE id = ANY($1::uuid[])`, [ids]);
  return Object.fromEntries(rows.map((row: { id: string; status: string }) => [row.id, row.status]));
}
