import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { OPERATIONAL_EVENT, OperationalEvent } from '../common/operational-events';
import { pgPool } from '../database/pg-pool';
import { MetricsService } from '../metrics/metrics.service';
import type { Rejection, RejectionReason } from './verification';

/** Rejections kept per entrypoint, newest first (in memory and in `entrypoint_rejections.recent`). */
export const RECENT_REJECTIONS = 20;
/** How often the aggregate is written: one statement for every entrypoint that refused requests. */
const FLUSH_INTERVAL_MS = 1_000;
/** Entrypoints aggregated between two writes at most; rejections on more are counted in the metric only. */
const MAX_PENDING_ENTRYPOINTS = 10_000;
/** Characters of a header value kept in a recent rejection. */
const MAX_HEADER_VALUE = 256;

/** A refused request as the owner sees it. */
export interface RecordedRejection {
  at: string;
  sourceIp: string | null;
  reason: RejectionReason;
  detail: string;
  headers: Record<string, string>;
}

interface Pending {
  webhookId: string;
  count: number;
  recent: RecordedRejection[];
}

/** Adds each recent list (newest first) and count to the stored one, keeping RECENT_REJECTIONS. */
const UPSERT = `
INSERT INTO entrypoint_rejections AS r (entrypoint_id, rejected_count, recent, last_rejected_at)
SELECT p.entrypoint_id, p.count, p.recent, p.last_at
FROM unnest($1::uuid[], $2::bigint[], $3::jsonb[], $4::timestamptz[]) AS p(entrypoint_id, count, recent, last_at)
WHERE EXISTS (SELECT 1 FROM entrypoints e WHERE e.id = p.entrypoint_id)
ON CONFLICT (entrypoint_id) DO UPDATE SET
  rejected_count = r.rejected_count + excluded.rejected_count,
  last_rejected_at = greatest(r.last_rejected_at, excluded.last_rejected_at),
  recent = (SELECT coalesce(jsonb_agg(item ORDER BY position), '[]'::jsonb)
            FROM (SELECT item, position
                  FROM jsonb_array_elements(excluded.recent || r.recent) WITH ORDINALITY AS x(item, position)
                  ORDER BY position LIMIT ${RECENT_REJECTIONS}) kept)`;

/**
 * Counts the requests refused by inbound verification without a write per request (a forger must
 * not be able to load the database): the metric is counted at once; per entrypoint, the count and
 * the last RECENT_REJECTIONS are aggregated in memory and written by one statement about once a
 * second, which also emits one `entrypoint.verification_failed` per entrypoint that refused any.
 */
@Injectable()
export class RejectionRecorder implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(RejectionRecorder.name);
  private pending = new Map<string, Pending>();
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly metrics: MetricsService,
    private readonly emitter: EventEmitter2,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.flush(), FLUSH_INTERVAL_MS);
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  /** Counts a refused request (headers already redacted); costs no I/O. */
  record(
    entrypointId: string,
    webhookId: string,
    rejection: Rejection,
    request: { at: Date; sourceIp: string | null; headers: Record<string, string> },
  ): void {
    this.metrics.ingestRejected.inc({ reason: rejection.reason });
    let pending = this.pending.get(entrypointId);
    if (!pending) {
      if (this.pending.size >= MAX_PENDING_ENTRYPOINTS) return;
      pending = { webhookId, count: 0, recent: [] };
      this.pending.set(entrypointId, pending);
    }
    pending.count++;
    pending.recent.unshift({
      at: request.at.toISOString(),
      sourceIp: request.sourceIp,
      reason: rejection.reason,
      detail: rejection.detail,
      headers: Object.fromEntries(
        Object.entries(request.headers).map(([name, value]) => [name, value.slice(0, MAX_HEADER_VALUE)]),
      ),
    });
    if (pending.recent.length > RECENT_REJECTIONS) pending.recent.pop();
  }

  /** Writes what was aggregated since the last flush (one flush at a time); never rejects. */
  flush(): Promise<void> {
    this.flushing ??= this.write().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private async write(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    const ids = [...batch.keys()];
    const entries = [...batch.values()];
    try {
      await pgPool(this.dataSource).query(UPSERT, [
        ids,
        entries.map((entry) => entry.count),
        entries.map((entry) => JSON.stringify(entry.recent)),
        entries.map((entry) => entry.recent[0]!.at),
      ]);
    } catch (error) {
      this.logger.warn(
        `Writing ${ids.length} entrypoint(s)' rejections failed, kept for the next write: ${error}`,
      );
      for (const [id, entry] of batch) this.restore(id, entry);
      return;
    }
    batch.forEach((entry, entrypointId) =>
      this.emitter.emit(OPERATIONAL_EVENT, {
        type: 'entrypoint.verification_failed',
        webhookId: entry.webhookId,
        occurredAt: new Date(entry.recent[0]!.at),
        data: {
          entrypointId,
          rejected: entry.count,
          reason: entry.recent[0]!.reason,
          sourceIp: entry.recent[0]!.sourceIp,
        },
      } satisfies OperationalEvent),
    );
  }

  /** Puts a batch that could not be written back in front of what arrived meanwhile. */
  private restore(entrypointId: string, entry: Pending): void {
    const newer = this.pending.get(entrypointId);
    if (!newer) {
      if (this.pending.size < MAX_PENDING_ENTRYPOINTS) this.pending.set(entrypointId, entry);
      return;
    }
    newer.count += entry.count;
    newer.recent = [...newer.recent, ...entry.recent].slice(0, RECENT_REJECTIONS);
  }
}
