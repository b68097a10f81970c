import { Client } from 'pg';
import type { EmbeddedPostgres } from '../src/database/embedded-postgres';
import { SERVER_URL_VAR, TEMPLATE_VAR } from './test-database';

export default async function globalTeardown(): Promise<void> {
  const embedded = (globalThis as { embeddedPostgres?: EmbeddedPostgres }).embeddedPostgres;
  if (embedded) {
    await embedded.stop();
    return;
  }
  const client = new Client({ connectionString: process.env[SERVER_URL_VAR] });
  await client.connect();
  const { rows } = await client.query<{ datname: string }>(
    `SELECT datname FROM pg_database WHERE datname = $1 OR datname LIKE 'webhooker_test_%'`,
    [process.env[TEMPLATE_VAR]],
  );
  for (const { datname } of rows) await client.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
  await client.end();
}
