import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PeriodicJob } from '../common/periodic-job';
import { APP_CONFIG, AppConfig } from '../config/config';
import { DeliveryService } from '../delivery/delivery.service';
import { EventsService } from '../events/events.service';
import { StatsRollupJob } from '../stats/stats-rollup.job';

/**
 * A deleted webhook is purged at once, and once more when this much time has passed: attempts
 * that were in flight, or events accepted just before every replica heard of the deletion, may
 * still have written rows after the first purge.
 */
const SETTLE_TIME = '5 minutes';
/** Rows deleted per statement: each batch is its own short transaction. */
export const PURGE_BATCH_SIZE = 1000;
const JOB_NAME = 'webhook-purge';

/**
 * Hard-deletes the event data (events, deliveries, attempts, archived events, statistics rollups) of deleted webhooks,
 * in bounded batches, never in one big transaction. Every EVENT_PURGE_INTERVAL_MS; safe with
 * several replicas (a webhook is purged by the replica that locks it).
 */
@Injectable()
export class WebhookPurgeJob implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(WebhookPurgeJob.name);
  private readonly job: PeriodicJob;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    scheduler: SchedulerRegistry,
    private readonly events: EventsService,
    private readonly deliveries: DeliveryService,
    private readonly stats: StatsRollupJob,
  ) {
    this.job = new PeriodicJob(scheduler, JOB_NAME, this.logger, 'Purging deleted webhooks');
  }

  onApplicationBootstrap(): void {
    this.job.start(this.config.eventPurgeIntervalMs, () => this.purgeDeletedWebhooks());
  }

  async onModuleDestroy(): Promise<void> {
    await this.job.stop();
  }

  /** Purges every deleted webhook that still has event data; returns how many rows went. */
  async purgeDeletedWebhooks(): Promise<number> {
    let total = 0;
    for (;;) {
      const purged = await this.purgeNextWebhook();
      if (purged === undefined) return total;
      total += purged;
    }
  }

  private async purgeNextWebhook(): Promise<number | undefined> {
    const queryRunner = this.dataSource.createQueryRunner();
    await queryRunner.connect();
    try {
      await queryRunner.startTransaction();
      const rows: { id: string }[] = await queryRunner.query(
        `SELECT id FROM webhooks
         WHERE deleted_at IS NOT NULL
           AND (event_data_purged_at IS NULL
                OR (event_data_purged_at < deleted_at + $1::interval AND deleted_at < now() - $1::interval))
         ORDER BY deleted_at LIMIT 1 FOR UPDATE SKIP LOCKED`,
        [SETTLE_TIME],
      );
      const webhookId = rows[0]?.id;
      if (!webhookId) {
        await queryRunner.commitTransaction();
        return undefined;
      }
      let purged = 0;
      for (;;) {
        const batch =
          (await this.deliveries.purgeBatch(webhookId, PURGE_BATCH_SIZE)) ||
          (await this.events.purgeBatch(webhookId, PURGE_BATCH_SIZE));
        if (batch === 0) break;
        purged += batch;
      }
      await this.stats.purgeWebhook(webhookId);
      await queryRunner.query(`UPDATE webhooks SET event_data_purged_at = now() WHERE id = $1`, [webhookId]);
      await queryRunner.commitTransaction();
      this.logger.log(`Deleted ${purged} rows of event data of deleted webhook ${webhookId}`);
      return purged;
    } catch (error) {
      if (queryRunner.isTransactionActive) await queryRunner.rollbackTransaction();
      throw error;
    } finally {
      await queryRunner.release();
    }
  }
}
