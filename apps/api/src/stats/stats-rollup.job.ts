import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { PoolClient } from 'pg';
import { PeriodicJob } from '../common/periodic-job';
import { APP_CONFIG, AppConfig } from '../config/config';
import { inTransactionUnderLock, pgPool } from '../database/pg-pool';
import { addHistogramsSql, countSlotsSql, latencySlotSql, sumHistogramsSql } from './latency-histogram';

const JOB_NAME = 'stats-rollup';
/** The advisory lock (pg_try_advisory_xact_lock) that makes one replica at a time run a step. */
const LOCK_KEY = 0x57a75;
/**
 * Rows younger than this are left for a later run: a row inserted by a transaction that has not
 * committed yet is not visible, and a watermark that moved past it would skip it forever.
 */
export const SETTLE_MS = 5_000;
/** Attempt rows read per step (one transaction each). */
export const ATTEMPT_BATCH = 50_000;
/** Receipt time covered per step when catching up (events and skipped deliveries). */
const RECEIVED_STEP = '1 day';
/** Steps per run at most, so a run after a long pause (or the first one) stays bounded. */
const MAX_STEPS = 20;
/** How long each resolution is kept: minutes serve the 1 h window, hours the 24 h and 7 d ones. */
const KEEP = { minute: '1 day', hour: '8 days' } as const;

/** The start of the bucket of `width` holding `time`, the same in every time zone. */
export function bin(width: string, time: string): string {
  return `date_bin('${width}', ${time}, timestamptz '2000-01-01T00:00:00Z')`;
}

/** What one step added. */
interface StepResult {
  rows: number;
  done: boolean;
}

/**
 * Adds one batch of aggregated rows (`counted`: minute, webhook_id, target_id, events, attempts,
 * delivered, failed, skipped, latency, last_attempt_at, last_error, last_error_at) to both
 * resolutions. Counters add up, histograms add element by element, the last error is the newest.
 */
function upsertRollups(counted: string, result: string): string {
  const merge = (table: string) => `
    ON CONFLICT (bucket, webhook_id, target_id) DO UPDATE SET
      events = ${table}.events + excluded.events,
      attempts = ${table}.attempts + excluded.attempts,
      delivered = ${table}.delivered + excluded.delivered,
      failed = ${table}.failed + excluded.failed,
      skipped = ${table}.skipped + excluded.skipped,
      latency = ${addHistogramsSql(`${table}.latency`, 'excluded.latency')},
      last_attempt_at = greatest(${table}.last_attempt_at, excluded.last_attempt_at),
      last_error = CASE WHEN excluded.last_error_at IS NOT NULL
        AND (${table}.last_error_at IS NULL OR excluded.last_error_at >= ${table}.last_error_at)
        THEN excluded.last_error ELSE ${table}.last_error END,
      last_error_at = greatest(${table}.last_error_at, excluded.last_error_at)`;
  const columns = `(bucket, webhook_id, target_id, events, attempts, delivered, failed, skipped, latency,
                    last_attempt_at, last_error, last_error_at)`;
  return `${counted},
    minutes AS (
      INSERT INTO stats_rollups_minute ${columns}
      SELECT * FROM counted
      ${merge('stats_rollups_minute')}
      RETURNING 1
    ), hours AS (
      INSERT INTO stats_rollups_hour ${columns}
      SELECT ${bin('1 hour', 'minute')}, webhook_id, target_id, sum(events), sum(attempts), sum(delivered),
             sum(failed), sum(skipped), ${sumHistogramsSql('latency')}::int[], max(last_attempt_at),
             (array_agg(last_error ORDER BY last_error_at DESC NULLS LAST))[1], max(last_error_at)
      FROM counted GROUP BY 1, 2, 3
      ${merge('stats_rollups_hour')}
    )
    SELECT (SELECT count(*) FROM minutes) AS rows, ${result}`;
}

/**
 * Attempts after the watermark, in id order, up to the newest one that finished SETTLE_MS ago:
 * each counts once as an attempt with its latency; a successful one as a delivered delivery; a
 * failed one as a failed delivery when it was its delivery's last (the delivery is `failed` and
 * this was its latest attempt: the attempt row and the delivery's state are written by one
 * statement). Every expression is total (NULLs, negative durations, long errors are clamped), so
 * no attempt row can make the batch fail; attempts of deleted webhooks or deliveries are skipped.
 */
const ROLL_UP_ATTEMPTS = upsertRollups(
  `
  WITH batch AS (
    SELECT * FROM delivery_attempts WHERE id > $1 ORDER BY id LIMIT $2
  ), upto AS (
    SELECT max(id) AS id FROM batch
    WHERE started_at + greatest(duration_ms, 0) * interval '1 millisecond' < now() - $3 * interval '1 millisecond'
  ), attempts AS MATERIALIZED (
    SELECT b.webhook_id, d.target_id,
           b.started_at + greatest(b.duration_ms, 0) * interval '1 millisecond' AS finished_at,
           b.error IS NULL AND (b.status_code IS NULL OR b.status_code BETWEEN 200 AND 299) AS ok,
           d.status = 'failed' AND d.attempt_count = b.attempt_number AS last_failure,
           left(coalesce(b.error, 'HTTP ' || b.status_code, 'failed'), 1024) AS error,
           ${latencySlotSql('b.duration_ms')} AS slot
    FROM batch b JOIN upto ON b.id <= upto.id
    JOIN deliveries d ON d.id = b.delivery_id
    JOIN webhooks w ON w.id = b.webhook_id AND w.deleted_at IS NULL
    WHERE b.started_at > now() - interval '${KEEP.hour}'
  ), counted AS (
    SELECT ${bin('1 minute', 'finished_at')} AS minute, webhook_id, target_id, 0::bigint AS events,
           count(*) AS attempts, count(*) FILTER (WHERE ok) AS delivered,
           count(*) FILTER (WHERE NOT ok AND last_failure) AS failed, 0::bigint AS skipped,
           ${countSlotsSql('slot')} AS latency, max(finished_at) AS last_attempt_at,
           (array_agg(error ORDER BY finished_at DESC) FILTER (WHERE NOT ok))[1] AS last_error,
           max(finished_at) FILTER (WHERE NOT ok) AS last_error_at
    FROM attempts GROUP BY 1, 2, 3
  )`,
  `(SELECT id FROM upto) AS upto, (SELECT count(*) FROM batch) = $2 AS more`,
);

/**
 * Events received (per webhook) and deliveries skipped by routing (per target) in [$1, $2): read
 * per live webhook and per target through the indexes on (webhook_id, received_at) and
 * (target_id, status, created_at), so the cost follows the rows in the range, not the tables.
 */
const ROLL_UP_RECEIVED = upsertRollups(
  `
  WITH received AS (
    SELECT ${bin('1 minute', 'e.received_at')} AS minute, w.id AS webhook_id, NULL::uuid AS target_id,
           count(*) AS events, 0::bigint AS skipped
    FROM webhooks w CROSS JOIN LATERAL (
      SELECT received_at FROM events WHERE webhook_id = w.id AND received_at >= $1 AND received_at < $2
    ) e
    WHERE w.deleted_at IS NULL GROUP BY 1, 2
  ), skipped AS (
    SELECT ${bin('1 minute', 'd.created_at')} AS minute, t.webhook_id, t.id AS target_id,
           0::bigint AS events, count(*) AS skipped
    FROM webhooks w JOIN targets t ON t.webhook_id = w.id CROSS JOIN LATERAL (
      SELECT created_at FROM deliveries
      WHERE target_id = t.id AND status = 'skipped' AND created_at >= $1 AND created_at < $2
    ) d
    WHERE w.deleted_at IS NULL GROUP BY 1, 2, 3
  ), counted AS (
    SELECT minute, webhook_id, target_id, events, 0::bigint AS attempts, 0::bigint AS delivered,
           0::bigint AS failed, skipped, '{}'::int[] AS latency, NULL::timestamptz AS last_attempt_at,
           NULL::text AS last_error, NULL::timestamptz AS last_error_at
    FROM (SELECT * FROM received UNION ALL SELECT * FROM skipped) AS r
  )`,
  `true AS done`,
);

/**
 * Fills the statistics rollups, every STATS_ROLLUP_INTERVAL_MS, so that `GET /api/v1/stats` reads a
 * few hundred small rows instead of scanning events, deliveries and attempts.
 *
 * Why rollups: the stats of a 7-day window over millions of events cannot be counted per request
 * within 200 ms, and counting on the ingest or delivery path would slow what matters most. So the
 * job reads what those paths already wrote, after the fact: attempts by their identity id past a
 * watermark, events and skipped deliveries by time past a watermark (through existing indexes).
 * Each is added to a row per (minute, webhook, target) and per (hour, webhook, target) holding
 * counters and a fixed log-scale latency histogram (HISTOGRAM_BUCKETS slots of half a power of two),
 * which sum across rows, so p50/p95 of any window come from summed histograms.
 *
 * Safe with several replicas and idempotent: each step runs in one transaction that takes an
 * advisory lock (a replica that cannot take it skips the step), adds its rows and moves the
 * watermark together; a step that fails or is interrupted changes nothing and is run again.
 * Rows are read only once they are SETTLE_MS old, so a transaction committing late is not skipped.
 * Minute rows are kept a day and hour rows 8 days; a deleted webhook's rows go with its event data.
 */
@Injectable()
export class StatsRollupJob implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(StatsRollupJob.name);
  private readonly job: PeriodicJob;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    scheduler: SchedulerRegistry,
  ) {
    this.job = new PeriodicJob(scheduler, JOB_NAME, this.logger, 'Rolling up statistics');
  }

  onApplicationBootstrap(): void {
    if (this.config.role === 'api') return;
    this.job.start(this.config.statsRollupIntervalMs, () => this.rollUp());
  }

  async onModuleDestroy(): Promise<void> {
    await this.job.stop();
  }

  /**
   * Adds what was written since the last run to the rollups (at most MAX_STEPS steps of each kind)
   * and deletes rows past their resolution's retention. Returns how many minute rows were written.
   */
  async rollUp(): Promise<number> {
    let rows = 0;
    for (const step of [() => this.rollUpAttempts(), () => this.rollUpReceived()]) {
      for (let i = 0; i < MAX_STEPS && !this.job.stopping; i++) {
        const result = await step();
        if (!result) break;
        rows += result.rows;
        if (result.done) break;
      }
    }
    await this.prune();
    return rows;
  }

  /** Deletes the rollups of a deleted webhook (with its event data). */
  async purgeWebhook(webhookId: string): Promise<void> {
    const pool = pgPool(this.dataSource);
    await pool.query(`DELETE FROM stats_rollups_minute WHERE webhook_id = $1`, [webhookId]);
    await pool.query(`DELETE FROM stats_rollups_hour WHERE webhook_id = $1`, [webhookId]);
  }

  private async prune(): Promise<void> {
    const pool = pgPool(this.dataSource);
    for (const [resolution, keep] of Object.entries(KEEP)) {
      await pool.query(`DELETE FROM stats_rollups_${resolution} WHERE bucket < now() - $1::interval`, [keep]);
    }
  }

  private rollUpAttempts(): Promise<StepResult | undefined> {
    return this.step(async (client, state) => {
      const { rows } = await client.query<{ rows: string; upto: string | null; more: boolean }>(
        ROLL_UP_ATTEMPTS,
        [state.attempts_after, ATTEMPT_BATCH, SETTLE_MS],
      );
      const { rows: written, upto, more } = rows[0]!;
      if (upto)
        await client.query(`UPDATE stats_rollup_state SET attempts_after = $1, updated_at = now()`, [upto]);
      return { rows: Number(written), done: !upto || !more };
    });
  }

  private rollUpReceived(): Promise<StepResult | undefined> {
    return this.step(async (client, state) => {
      const { rows: range } = await client.query<{ until: Date; done: boolean }>(
        `SELECT least(now() - $2 * interval '1 millisecond', $1::timestamptz + $3::interval) AS until,
                $1::timestamptz + $3::interval >= now() - $2 * interval '1 millisecond' AS done`,
        [state.received_until, SETTLE_MS, RECEIVED_STEP],
      );
      const { until, done } = range[0]!;
      if (until <= state.received_until) return { rows: 0, done: true };
      const { rows } = await client.query<{ rows: string }>(ROLL_UP_RECEIVED, [state.received_until, until]);
      await client.query(`UPDATE stats_rollup_state SET received_until = $1, updated_at = now()`, [until]);
      return { rows: Number(rows[0]?.rows ?? 0), done };
    });
  }

  /**
   * Runs one step in a transaction under the job's advisory lock, with the watermarks as they are
   * in that transaction; undefined when another replica holds the lock.
   */
  private async step(
    run: (client: PoolClient, state: { attempts_after: string; received_until: Date }) => Promise<StepResult>,
  ): Promise<StepResult | undefined> {
    return inTransactionUnderLock(pgPool(this.dataSource), LOCK_KEY, async (client) => {
      const { rows: state } = await client.query<{ attempts_after: string; received_until: Date }>(
        `SELECT attempts_after, received_until FROM stats_rollup_state WHERE id = 1`,
      );
      return run(client, state[0]!);
    });
  }
}
