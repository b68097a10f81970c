import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { Client } from 'pg';
import { APP_CONFIG, AppConfig } from '../config/config';

/** Emitted (in process) whenever webhooks, entrypoints or targets changed, on any replica. */
export const CONFIG_CHANGED_EVENT = 'config.changed';
const CHANNEL = 'webhooker_config';
const RECONNECT_DELAY_MS = 1_000;
/** Idle time before the OS starts TCP keepalive probes on the listening connection. */
const KEEPALIVE_DELAY_MS = 10_000;

/**
 * Listens on the `webhooker_config` channel, which triggers on the configuration tables notify
 * on every change, and turns each notification into a CONFIG_CHANGED_EVENT, so every replica drops
 * its cached configuration. A lost connection is also reported as a change (notifications may
 * have been missed) and re-established; so is a silently dead one, found by a `SELECT 1` every
 * DB_PING_INTERVAL_MS that must answer within that time.
 */
@Injectable()
export class ConfigChangeListener implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ConfigChangeListener.name);
  private client?: Client;
  private reconnect?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly emitter: EventEmitter2,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.connect();
  }

  /** Ends the connection; one that does not close within the ping interval is destroyed. */
  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnect);
    const client = this.client;
    if (!client) return;
    const force = setTimeout(() => client.connection.stream.destroy(), this.config.dbPingIntervalMs);
    await client.end();
    clearTimeout(force);
  }

  private async connect(): Promise<void> {
    const client = new Client({
      connectionString: this.config.databaseUrl,
      application_name: 'webhooker config listener',
      connectionTimeoutMillis: this.config.dbPingIntervalMs,
      keepAlive: true,
      keepAliveInitialDelayMillis: KEEPALIVE_DELAY_MS,
    });
    client.on('notification', () => this.emitter.emit(CONFIG_CHANGED_EVENT));
    client.on('error', (error) => this.logger.warn(`Configuration change listener: ${error.message}`));
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    const pings = setInterval(() => this.ping(client), this.config.dbPingIntervalMs);
    client.on('end', () => {
      clearInterval(pings);
      this.scheduleReconnect();
    });
    this.client = client;
  }

  /** A ping that fails or is not answered within the interval drops the connection. */
  private ping(client: Client): void {
    const ms = this.config.dbPingIntervalMs;
    const timeout = setTimeout(() => this.drop(client, `no answer to a ping within ${ms} ms`), ms);
    client.query('SELECT 1').then(
      () => clearTimeout(timeout),
      (error: Error) => {
        clearTimeout(timeout);
        this.drop(client, `ping failed: ${error.message}`);
      },
    );
  }

  /** Destroys the connection's socket; its 'end' then reports a change and reconnects. */
  private drop(client: Client, reason: string): void {
    if (this.stopped || client !== this.client) return;
    this.client = undefined;
    this.logger.warn(`Configuration change listener: ${reason}; reconnecting`);
    client.connection.stream.destroy();
  }

  /** The connection was lost: notifications may have been missed, so report a change and reconnect. */
  private scheduleReconnect(): void {
    if (this.stopped) return;
    this.emitter.emit(CONFIG_CHANGED_EVENT);
    this.reconnect = setTimeout(() => {
      if (this.stopped) return;
      this.connect().catch((error: Error) => {
        this.logger.warn(`Reconnecting the configuration change listener failed: ${error.message}`);
        this.scheduleReconnect();
      });
    }, RECONNECT_DELAY_MS);
  }
}
