import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import { setTimeout } from 'node:timers/promises';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { PeriodicJob } from '../common/periodic-job';
import { APP_CONFIG, AppConfig } from '../config/config';
import { inTransactionUnderLock, pgPool } from '../database/pg-pool';

const JOB_NAME = 'event-search-index';
/** The advisory lock (pg_try_advisory_xact_lock) that makes one replica at a time index a batch. */
const LOCK_KEY = 0x5ea4c;
/**
 * Events received less than this ago are left for a later run: `received_at` is set when the
 * request arrives and the event commits later (ingest writes in groups), so a watermark that moved
 * past an uncommitted event would skip it forever.
 */
export const SEARCH_SETTLE_MS = 5_000;
/** Events indexed per batch (one transaction each). */
export const SEARCH_INDEX_BATCH = 500;
/** Batches per run at most, so a run stays bounded when catching up (the backfill after upgrade). */
const MAX_BATCHES = 100;

/** Where the indexer has reached: events after this, in (received_at, id) order, are not indexed yet. */
export interface SearchWatermark {
  /** As text: it starts at -infinity. */
  indexed_until: string;
  indexed_until_id: string;
}

/** The indexer's watermark, read on `queryable` (the pool, or the client of a batch's transaction). */
export async function readSearchWatermark(queryable: Pick<Pool, 'query'>): Promise<SearchWatermark> {
  const { rows } = await queryable.query<SearchWatermark>(
    `SELECT indexed_until::text, indexed_until_id FROM event_search_state WHERE id = 1`,
  );
  return rows[0]!;
}

/**
 * One batch: the events past the watermark ($3, $4: as values, so that the (received_at, id) index
 * bounds the scan) in (received_at, id) order, received SEARCH_SETTLE_MS
 * ago or earlier, get their search text (an event indexed already keeps its row), and the
 * watermark moves to the last of them. Returns how many events the batch held.
 */
const INDEX_BATCH = `
WITH batch AS MATERIALIZED (
  SELECT e.id, e.received_at, e.headers, e.body
  FROM events e
  WHERE (e.received_at, e.id) > ($3::timestamptz, $4::uuid)
    AND e.received_at < now() - $1 * interval '1 millisecond'
  ORDER BY e.received_at, e.id
  LIMIT $2
), indexed AS (
  INSERT INTO event_search (event_id, received_at, text)
  SELECT id, received_at, webhooker_event_search_text(headers, body) FROM batch
  ON CONFLICT (event_id) DO NOTHING
), last AS (
  SELECT received_at, id FROM batch ORDER BY received_at DESC, id DESC LIMIT 1
), moved AS (
  UPDATE event_search_state w SET indexed_until = last.received_at, indexed_until_id = last.id, updated_at = now()
  FROM last WHERE w.id = 1
)
SELECT count(*)::int AS n FROM batch`;

/**
 * Fills the event search index (`event_search`), every SEARCH_INDEX_INTERVAL_MS, with the search
 * text of the events received since the last run: header values and the first 4 KiB of the body
 * (webhooker_event_search_text), under a trigram index. Ingest writes nothing for search; the
 * events past the watermark, a few seconds' worth, are searched by a scan of their own.
 *
 * Indexing is background work and yields to ingest: between two batches of a run the indexer rests
 * as long as the last batch took, so it keeps at most half of one PostgreSQL backend busy however
 * far behind it is (a 1 000-event batch used to hold a core for 130–150 ms at a time under load,
 * visible in ingest's p99), and catches up at about half its full speed.
 *
 * Runs on every replica whatever its ROLE, so search stays fast in every deployment. Safe with
 * several replicas and idempotent: each batch runs in one transaction that takes an advisory lock
 * (a replica that cannot take it skips the run), writes the rows and moves the watermark
 * together; a batch that fails changes nothing and is run again. An event deleted (retention, a
 * webhook's purge) takes its row with it.
 */
@Injectable()
export class EventSearchIndexer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(EventSearchIndexer.name);
  private readonly job: PeriodicJob;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    scheduler: SchedulerRegistry,
  ) {
    this.job = new PeriodicJob(scheduler, JOB_NAME, this.logger, 'Indexing events for search');
  }

  onApplicationBootstrap(): void {
    this.job.start(this.config.searchIndexIntervalMs, () => this.indexNew());
  }

  async onModuleDestroy(): Promise<void> {
    await this.job.stop();
  }

  /**
   * Indexes the events received since the last run, in batches (at most MAX_BATCHES); returns how
   * many events it indexed (0 when another replica holds the lock).
   */
  async indexNew(settleMs = SEARCH_SETTLE_MS): Promise<number> {
    let indexed = 0;
    for (let i = 0; i < MAX_BATCHES && !this.job.stopping; i++) {
      const startedAt = performance.now();
      const n = await this.indexBatch(settleMs);
      indexed += n;
      if (n < SEARCH_INDEX_BATCH) break;
      await setTimeout(performance.now() - startedAt);
    }
    return indexed;
  }

  private async indexBatch(settleMs: number): Promise<number> {
    const indexed = await inTransactionUnderLock(pgPool(this.dataSource), LOCK_KEY, async (client) => {
      const { indexed_until: until, indexed_until_id: untilId } = await readSearchWatermark(client);
      const { rows } = await client.query<{ n: number }>(INDEX_BATCH, [
        settleMs,
        SEARCH_INDEX_BATCH,
        until,
        untilId,
      ]);
      return rows[0]!.n;
    });
    return indexed ?? 0;
  }
}
