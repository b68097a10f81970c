import { baseUrl } from './base-url';
import { ADMIN_PASSWORD } from './server';

const WAIT_MS = 15_000;

/** The admin's API session, for the test data: a cookie and the CSRF token its changes need. */
export interface ApiSession {
  cookie: string;
  csrfToken: string;
}

/** Calls the API as `session`; fails on any answer but 2xx. */
export async function api<T>(
  session: ApiSession,
  method: string,
  apiPath: string,
  body?: unknown,
): Promise<T> {
  const response = await fetch(`${baseUrl()}${apiPath}`, {
    method,
    headers: {
      cookie: session.cookie,
      'x-csrf-token': session.csrfToken,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${apiPath}: ${response.status} ${await response.text()}`);
  return (response.status === 204 ? undefined : await response.json()) as T;
}

let adminSession: Promise<ApiSession> | undefined;

/** Logs a user in through the API: a session for the browser and the API calls. */
export async function logInAs(username: string, password: string): Promise<ApiSession> {
  const response = await fetch(`${baseUrl()}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (response.status !== 200)
    throw new Error(`login of ${username}: ${response.status} ${await response.text()}`);
  const { csrfToken } = (await response.json()) as { csrfToken: string };
  const cookie = response.headers
    .getSetCookie()
    .map((header) => header.split(';')[0])
    .join('; ');
  return { cookie, csrfToken };
}

/** One admin login per test file, however often it is asked for: logins are rate-limited. */
export function apiLogin(): Promise<ApiSession> {
  return (adminSession ??= logInAs('admin', ADMIN_PASSWORD));
}

/** Polls until `check` holds. */
export async function waitUntil(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
