import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PeriodicJob } from '../common/periodic-job';
import { APP_CONFIG, AppConfig } from '../config/config';
import { pgPool } from '../database/pg-pool';

/** Expired dedup keys deleted per statement: one short transaction each. */
export const DEDUP_CLEANUP_BATCH_SIZE = 1000;
const JOB_NAME = 'dedup-key-cleanup';

/**
 * One batch of keys whose window has passed, oldest first. Keys being claimed by ingest right now
 * are skipped; one taken over meanwhile (its expiry moved on) is kept by the second check.
 */
const DELETE_EXPIRED_KEYS = `
DELETE FROM dedup_keys k
USING (
  SELECT entrypoint_id, key FROM dedup_keys
  WHERE expires_at <= now()
  ORDER BY expires_at
  LIMIT $1
  FOR UPDATE SKIP LOCKED
) expired
WHERE k.entrypoint_id = expired.entrypoint_id AND k.key = expired.key AND k.expires_at <= now()`;

/**
 * Every DEDUP_CLEANUP_INTERVAL_MS deletes the dedup keys whose window has passed, in batches (an
 * expired key no longer counts anyway: ingest takes it over). Safe on several replicas at once.
 */
@Injectable()
export class DedupKeyCleanupJob implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(DedupKeyCleanupJob.name);
  private readonly job: PeriodicJob;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    scheduler: SchedulerRegistry,
  ) {
    this.job = new PeriodicJob(scheduler, JOB_NAME, this.logger, 'Deleting expired dedup keys');
  }

  onApplicationBootstrap(): void {
    this.job.start(this.config.dedupCleanupIntervalMs, () => this.deleteExpiredKeys());
  }

  async onModuleDestroy(): Promise<void> {
    await this.job.stop();
  }

  /** Deletes every expired key, batch after batch; returns how many went. */
  async deleteExpiredKeys(): Promise<number> {
    const pool = pgPool(this.dataSource);
    let total = 0;
    for (;;) {
      const deleted = (await pool.query(DELETE_EXPIRED_KEYS, [DEDUP_CLEANUP_BATCH_SIZE])).rowCount ?? 0;
      total += deleted;
      if (deleted < DEDUP_CLEANUP_BATCH_SIZE) break;
    }
    if (total > 0) this.logger.debug(`Deleted ${total} expired dedup keys`);
    return total;
  }
}
