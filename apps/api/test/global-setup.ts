import { randomInt } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../src/database/data-source';
import { EmbeddedPostgres } from '../src/database/embedded-postgres';
import { SERVER_URL_VAR, TEMPLATE_VAR, withDatabase } from './test-database';

/** Where childPort() starts: above the ports of well-known services. */
const CHILD_PORTS_FROM = 20_000;

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

/** The lowest port the kernel hands to a server listening on port 0 (Linux; 32768 elsewhere). */
function ephemeralPortsFrom(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  } catch {
    return 32_768;
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A free port for a child process to listen on, below the kernel's ephemeral range. A port from
 * freePort() is free only until the child listens on it, and meanwhile any server listening on
 * port 0 (another test's sink or in-process app) may be given it; below that range only the
 * children of other tests pick ports, at random.
 */
export async function childPort(): Promise<number> {
  const span = ephemeralPortsFrom() - CHILD_PORTS_FROM;
  for (;;) {
    const port = CHILD_PORTS_FROM + randomInt(span);
    if (await canListen(port)) return port;
  }
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
