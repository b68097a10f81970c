import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { SchedulerRegistry } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { OPERATIONAL_EVENT, OperationalEvent } from '../common/operational-events';
import { PeriodicJob } from '../common/periodic-job';
import { APP_CONFIG, AppConfig } from '../config/config';
import { pgPool } from '../database/pg-pool';
import { DeliveryService } from '../delivery/delivery.service';
import { TargetHealthService } from '../targets/target-health.service';

const BACKLOG_JOB = 'backlog-monitor';

/**
 * Raises `webhook.backlog_high` once when a webhook's waiting (pending or retrying) deliveries
 * reach BACKLOG_ALERT_THRESHOLD, and re-arms when they drop below half of it. Counted every
 * BACKLOG_CHECK_INTERVAL_MS; which webhooks are raised lives in `backlog_alerts`, so of several
 * replicas only the one that inserts the row raises the alert.
 */
@Injectable()
export class BacklogMonitor implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(BacklogMonitor.name);
  private readonly job: PeriodicJob;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    scheduler: SchedulerRegistry,
    private readonly deliveries: DeliveryService,
    private readonly targetHealth: TargetHealthService,
    private readonly emitter: EventEmitter2,
  ) {
    this.job = new PeriodicJob(scheduler, BACKLOG_JOB, this.logger, 'Checking backlogs');
  }

  onApplicationBootstrap(): void {
    if (this.config.role === 'api') return;
    this.job.start(this.config.backlogCheckIntervalMs, () => this.check());
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.job.stop();
  }

  /** Counts waiting deliveries per webhook, raises the webhooks that crossed the threshold, re-arms the ones below half. */
  async check(): Promise<void> {
    const waitingByTarget = await this.deliveries.waitingByTarget();
    const targets = await this.targetHealth.snapshots([...waitingByTarget.keys()]);
    const waiting = new Map<string, number>();
    for (const [targetId, count] of waitingByTarget) {
      const webhookId = targets.get(targetId)?.webhookId;
      if (webhookId) waiting.set(webhookId, (waiting.get(webhookId) ?? 0) + count);
    }
    const threshold = this.config.backlogAlertThreshold;
    const high = [...waiting].filter(([, count]) => count >= threshold);
    const pool = pgPool(this.dataSource);
    await pool.query(`DELETE FROM backlog_alerts WHERE NOT webhook_id = ANY($1::uuid[])`, [
      [...waiting].filter(([, count]) => count >= threshold / 2).map(([webhookId]) => webhookId),
    ]);
    if (high.length === 0) return;
    const { rows } = await pool.query<{ webhook_id: string; waiting: number }>(
      `INSERT INTO backlog_alerts (webhook_id, waiting)
       SELECT * FROM unnest($1::uuid[], $2::int[])
       ON CONFLICT (webhook_id) DO NOTHING
       RETURNING webhook_id, waiting`,
      [high.map(([webhookId]) => webhookId), high.map(([, count]) => count)],
    );
    for (const row of rows) {
      this.emitter.emit(OPERATIONAL_EVENT, {
        type: 'webhook.backlog_high',
        webhookId: row.webhook_id,
        occurredAt: new Date(),
        data: { waiting: row.waiting, threshold },
      } satisfies OperationalEvent);
    }
  }
}
