import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../src/database/data-source';
import { EmbeddedPostgres } from '../src/database/embedded-postgres';
import { SERVER_URL_VAR, TEMPLATE_VAR, withDatabase } from './test-database';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts a throwaway embedded PostgreSQL (fsync off), or uses TEST_DATABASE_URL, and migrates a
 * template database once; each test file then gets its own copy.
 */
export default async function globalSetup(): Promise<void> {
  let serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'webhooker-test-pg-'));
    const embedded = await EmbeddedPostgres.start({ dataDir, port: await freePort(), durable: false });
    (globalThis as { embeddedPostgres?: EmbeddedPostgres }).embeddedPostgres = embedded;
    serverUrl = embedded.url;
  }
  const template = `webhooker_template_${process.pid}`;
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  await client.query(`DROP DATABASE IF EXISTS ${template}`);
  await client.query(`CREATE DATABASE ${template}`);
  await client.end();

  const dataSource = new DataSource(dataSourceOptions(withDatabase(serverUrl, template)));
  await dataSource.initialize();
  await dataSource.destroy();

  process.env[SERVER_URL_VAR] = serverUrl;
  process.env[TEMPLATE_VAR] = template;
}
