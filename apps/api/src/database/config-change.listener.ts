import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { Client } from 'pg';
import { APP_CONFIG, AppConfig } from '../config/config';
import { longLivedClient, pingConnection } from './long-lived-connection';

/** Emitted (in process) whenever webhooks, entrypoints or targets changed, on any replica. */
export const CONFIG_CHANGED_EVENT = 'config.changed';
const CHANNEL = 'webhooker_config';
const RECONNECT_DELAY_MS = 1_000;

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
  private stopPings?: () => void;
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
    this.stopPings?.();
    const client = this.client;
    if (!client) return;
    const force = setTimeout(() => client.connection.stream.destroy(), this.config.dbPingIntervalMs);
    await client.end();
    clearTimeout(force);
  }

  private async connect(): Promise<void> {
    const interval = this.config.dbPingIntervalMs;
    const client = longLivedClient(this.config.databaseUrl, 'webhooker config listener', interval);
    client.on('notification', () => this.emitter.emit(CONFIG_CHANGED_EVENT));
    client.on('error', (error) => this.logger.warn(`Configuration change listener: ${error.message}`));
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    client.on('end', () => this.scheduleReconnect());
    this.stopPings = pingConnection(client, interval, (reason) =>
      this.logger.warn(`Configuration change listener: ${reason}; reconnecting`),
    );
    this.client = client;
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
