import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { SchedulerRegistry } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { OPERATIONAL_EVENT, OperationalEvent, OperationalEventType } from '../common/operational-events';
import { APP_CONFIG, AppConfig } from '../config/config';
import { pgPool } from '../database/pg-pool';
import { IngestService } from '../ingest/ingest.service';
import { TargetHealthService } from '../targets/target-health.service';
import { WebhooksService } from '../webhooks/webhooks.service';
import { AlertsService } from './alerts.service';

/** Operational events that come in bursts: folded into one alert per subject per ALERT_INTERVAL_MS. */
export const RATE_LIMITED_TYPES: ReadonlySet<OperationalEventType> = new Set([
  'delivery.failed',
  'entrypoint.verification_failed',
]);
/** How often closed rate-limit windows are looked for. */
const WINDOW_CHECK_MS = 1_000;
const WINDOW_JOB = 'alert-windows';

/** The JSON body every subscription receives (documented in the OpenAPI `webhooks` section). */
export interface AlertPayload {
  type: OperationalEventType;
  occurredAt: string;
  webhookId: string;
  data: Record<string, unknown>;
}

interface WindowRow {
  type: OperationalEventType;
  webhook_id: string;
  count: number;
  first_at: Date;
  last_at: Date;
  last_data: Record<string, unknown>;
}

/**
 * Turns operational events into alerts: each becomes an event of its webhook owner's system
 * webhook, with one delivery per active subscription that wants its type, committed and handed to
 * the delivery engine by IngestService (signed, retried, with attempt history like any delivery).
 * Events about system webhooks are dropped (a failing notification URL never alerts about
 * itself). Rate-limited types are counted in `alert_windows` (one row per type and subject,
 * cluster-wide) and sent once the window closes, carrying the count.
 */
@Injectable()
export class AlertNotifier implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(AlertNotifier.name);
  private flushing?: Promise<void>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly scheduler: SchedulerRegistry,
    private readonly webhooks: WebhooksService,
    private readonly targetHealth: TargetHealthService,
    private readonly alerts: AlertsService,
    private readonly ingest: IngestService,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.role === 'api') return;
    this.scheduler.addInterval(
      WINDOW_JOB,
      setInterval(() => {
        this.flushing ??= this.flushClosedWindows()
          .catch((error) => this.logger.error(`Sending rate-limited alerts failed: ${error}`))
          .finally(() => (this.flushing = undefined));
      }, WINDOW_CHECK_MS),
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.scheduler.doesExist('interval', WINDOW_JOB)) this.scheduler.deleteInterval(WINDOW_JOB);
    await this.flushing;
  }

  /** An operational event happened somewhere in this process; never throws (it is logged). */
  @OnEvent(OPERATIONAL_EVENT)
  async handle(event: OperationalEvent): Promise<void> {
    try {
      const recipient = await this.webhooks.alertRecipient(event.webhookId);
      if (!recipient || recipient.system) return;
      if (RATE_LIMITED_TYPES.has(event.type)) return await this.countInWindow(event);
      await this.notify(recipient.ownerId, {
        type: event.type,
        occurredAt: event.occurredAt.toISOString(),
        webhookId: event.webhookId,
        data: event.data,
      });
    } catch (error) {
      this.logger.error(`Alerting ${event.type} of webhook ${event.webhookId} failed: ${error}`);
    }
  }

  /** Records the payload on the owner's system webhook, delivered to every subscription that wants it. */
  private async notify(ownerId: string, payload: AlertPayload): Promise<void> {
    const webhook = await this.webhooks.findSystemWebhook(ownerId);
    if (!webhook) return;
    const targets = (await this.targetHealth.liveSnapshots(webhook.id)).filter((target) => target.active);
    const wanted = await this.alerts.subscribedTo(
      targets.map((target) => target.id),
      payload.type,
    );
    await this.ingest.ingestSystemEvent(
      webhook.id,
      targets.filter((target) => wanted.has(target.id)),
      Buffer.from(JSON.stringify(payload)),
    );
  }

  /** Counts the event in its subject's open window (opening one), cluster-wide. */
  private async countInWindow(event: OperationalEvent): Promise<void> {
    const subject = String(event.data.targetId ?? event.data.entrypointId ?? event.webhookId);
    await pgPool(this.dataSource).query(
      `INSERT INTO alert_windows (type, subject_id, webhook_id, count, first_at, last_at, last_data)
       VALUES ($1, $2, $3, 1, $4, $4, $5)
       ON CONFLICT (type, subject_id) DO UPDATE SET
         count = alert_windows.count + 1,
         last_at = greatest(alert_windows.last_at, excluded.last_at),
         last_data = CASE WHEN excluded.last_at >= alert_windows.last_at
                          THEN excluded.last_data ELSE alert_windows.last_data END`,
      [event.type, subject, event.webhookId, event.occurredAt, event.data],
    );
  }

  /**
   * Takes every window open for ALERT_INTERVAL_MS (each taken by one replica only) and sends one
   * alert for it: the latest occurrence's facts, `count` and `firstOccurredAt`.
   */
  async flushClosedWindows(): Promise<void> {
    const { rows } = await pgPool(this.dataSource).query<WindowRow>(
      `DELETE FROM alert_windows w USING (
         SELECT type, subject_id FROM alert_windows
         WHERE opened_at <= now() - make_interval(secs => $1::float8 / 1000)
         FOR UPDATE SKIP LOCKED
       ) closed
       WHERE w.type = closed.type AND w.subject_id = closed.subject_id
       RETURNING w.type, w.webhook_id, w.count, w.first_at, w.last_at, w.last_data`,
      [this.config.alertIntervalMs],
    );
    for (const row of rows) {
      try {
        const recipient = await this.webhooks.alertRecipient(row.webhook_id);
        if (!recipient) continue;
        await this.notify(recipient.ownerId, {
          type: row.type,
          occurredAt: row.last_at.toISOString(),
          webhookId: row.webhook_id,
          data: { ...row.last_data, count: row.count, firstOccurredAt: row.first_at.toISOString() },
        });
      } catch (error) {
        this.logger.error(
          `Alerting ${row.count} × ${row.type} of webhook ${row.webhook_id} failed: ${error}`,
        );
      }
    }
  }
}
