import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Client } from 'pg';
import { APP_CONFIG, AppConfig, ConfigError } from '../config/config';
import { longLivedClient, pingConnection } from '../database/long-lived-connection';

/** Injection token of this process's stable instance id (the `leased_by` of its leases). */
export const INSTANCE_ID = Symbol('INSTANCE_ID');

/** Prefix of the advisory lock's key, so it never meets another advisory lock of the database. */
const LOCK_KEY_PREFIX = 'webhooker instance ';
const RELOCK_DELAY_MS = 1_000;

/**
 * INSTANCE_ID when set; otherwise an id generated once and kept in DATA_DIR/instance-id, so a
 * restarted node recognises (and takes back at once) its own earlier leases.
 */
export function resolveInstanceId(config: Pick<AppConfig, 'instanceId' | 'dataDir'>): string {
  if (config.instanceId) return config.instanceId;
  const file = path.join(config.dataDir, 'instance-id');
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    const id = `wh-${randomBytes(6).toString('hex')}`;
    mkdirSync(config.dataDir, { recursive: true });
    writeFileSync(file, id);
    return id;
  }
}

/**
 * Holds a PostgreSQL session advisory lock keyed on the instance id, on a connection of its own for
 * the process's lifetime: a second process with the same id on the same database is refused at
 * start (it would take the first one's leases as its own), and the lock goes with the connection
 * when the process dies, so a restart after kill -9 works. A connection lost later (found by its
 * pings too) is re-opened and the lock taken again.
 */
@Injectable()
export class InstanceIdLock implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(InstanceIdLock.name);
  private client?: Client;
  private stopPings?: () => void;
  private retry?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(INSTANCE_ID) private readonly instanceId: string,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.lock();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    this.stopPings?.();
    const client = this.client;
    if (!client) return;
    const force = setTimeout(() => client.connection.stream.destroy(), this.config.dbPingIntervalMs);
    await client.end();
    clearTimeout(force);
  }

  private async lock(): Promise<void> {
    const interval = this.config.dbPingIntervalMs;
    const client = longLivedClient(this.config.databaseUrl, `webhooker ${this.instanceId}`, interval);
    client.on('error', (error) => this.logger.warn(`Instance id lock connection: ${error.message}`));
    try {
      await client.connect();
      // The server drops the connection (and the lock) of a host that vanished within about a minute.
      await client.query(
        'SET tcp_keepalives_idle = 30; SET tcp_keepalives_interval = 10; SET tcp_keepalives_count = 3',
      );
      const { rows } = await client.query<{ locked: boolean }>(
        'SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked',
        [`${LOCK_KEY_PREFIX}${this.instanceId}`],
      );
      if (!rows[0]!.locked) throw new ConfigError(this.clashMessage());
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    client.on('end', () => this.relock());
    this.stopPings = pingConnection(client, interval, (reason) =>
      this.logger.warn(`Instance id lock connection: ${reason}; reconnecting`),
    );
    this.client = client;
  }

  /** The connection, and with it the lock, is gone: take the lock again, retrying every second. */
  private relock(): void {
    if (this.stopped) return;
    this.retry = setTimeout(() => {
      if (this.stopped) return;
      this.lock().catch((error: Error) => {
        this.logger.error(`Taking the INSTANCE_ID lock again failed: ${error.message}`);
        this.relock();
      });
    }, RELOCK_DELAY_MS);
  }

  private clashMessage(): string {
    const source = this.config.instanceId
      ? ''
      : ` (read from ${path.join(this.config.dataDir, 'instance-id')}: replicas must not share DATA_DIR)`;
    return (
      `INSTANCE_ID "${this.instanceId}"${source} is in use by another running webhooker on this ` +
      'database; give each replica its own INSTANCE_ID'
    );
  }
}
