import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** Set by global-setup: the server URL and the migrated template every test database copies. */
export const SERVER_URL_VAR = 'WEBHOOKER_TEST_SERVER_URL';
export const TEMPLATE_VAR = 'WEBHOOKER_TEST_TEMPLATE';

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function onServer<T>(run: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: process.env[SERVER_URL_VAR] });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/** A fresh, migrated database for one test file: a copy of the template. */
export async function createTestDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `webhooker_test_${randomBytes(6).toString('hex')}`;
  await onServer((client) => client.query(`CREATE DATABASE ${name} TEMPLATE ${process.env[TEMPLATE_VAR]}`));
  return {
    url: withDatabase(process.env[SERVER_URL_VAR]!, name),
    drop: () =>
      onServer((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(
        () => undefined,
      ),
  };
}

/**
 * A fresh, migrated database for the spec file and a client connected to it: made before its
 * tests, dropped after them. Read `client` inside tests and hooks.
 */
export function useTestDatabase(): { readonly client: Client } {
  let database: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
  let client: Client | undefined;
  beforeAll(async () => {
    database = await createTestDatabase();
    client = new Client({ connectionString: database.url });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
    await database?.drop();
  });
  return {
    get client() {
      return client!;
    },
  };
}
