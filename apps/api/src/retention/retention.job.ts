import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PeriodicJob } from '../common/periodic-job';
import { APP_CONFIG, AppConfig } from '../config/config';
import { pgPool } from '../database/pg-pool';

/** Events deleted per statement (with their deliveries and attempts): one short transaction each. */
export const RETENTION_BATCH_SIZE = 1000;
const JOB_NAME = 'retention';

/**
 * One batch: the oldest events of a webhook past its retention whose deliveries are all finished,
 * with their deliveries and attempts. Unfinished events are kept until they finish.
 */
const DELETE_EXPIRED_BATCH = `
WITH expired AS (
  SELECT e.id FROM events e
  WHERE e.webhook_id = $1 AND e.received_at < now() - make_interval(days => $2)
    AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND d.status IN ('pending', 'retrying'))
  ORDER BY e.received_at
  LIMIT $3
), deleted_deliveries AS (
  DELETE FROM deliveries d USING expired WHERE d.event_id = expired.id RETURNING d.id
), deleted_attempts AS (
  DELETE FROM delivery_attempts a USING deleted_deliveries dd WHERE a.delivery_id = dd.id
)
DELETE FROM events e USING expired WHERE e.id = expired.id`;

/**
 * Retention (DESIGN.md §7): every RETENTION_INTERVAL_MS deletes the events older than their
 * webhook's `retentionDays`, in batches. Archived events (`database` targets) are kept. Safe to run
 * on several replicas at once: each batch deletes what is still there.
 */
@Injectable()
export class RetentionJob implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(RetentionJob.name);
  private readonly job: PeriodicJob;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    scheduler: SchedulerRegistry,
  ) {
    this.job = new PeriodicJob(scheduler, JOB_NAME, this.logger, 'Retention');
  }

  onApplicationBootstrap(): void {
    this.job.start(this.config.retentionIntervalMs, () => this.deleteExpiredEvents());
  }

  async onModuleDestroy(): Promise<void> {
    await this.job.stop();
  }

  /** Deletes every expired, finished event of every webhook; returns how many events went. */
  async deleteExpiredEvents(): Promise<number> {
    const pool = pgPool(this.dataSource);
    const { rows: webhooks } = await pool.query<{ id: string; retention_days: number }>(
      `SELECT id, retention_days FROM webhooks WHERE deleted_at IS NULL`,
    );
    let total = 0;
    for (const webhook of webhooks) {
      for (;;) {
        const result = await pool.query(DELETE_EXPIRED_BATCH, [
          webhook.id,
          webhook.retention_days,
          RETENTION_BATCH_SIZE,
        ]);
        total += result.rowCount ?? 0;
        if ((result.rowCount ?? 0) < RETENTION_BATCH_SIZE) break;
      }
    }
    if (total > 0) this.logger.log(`Deleted ${total} events past their webhook's retention`);
    return total;
  }
}
