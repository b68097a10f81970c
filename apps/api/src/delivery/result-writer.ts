import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Batcher, isRowError } from '../common/batcher';
import { MAX_ERROR_CHARS, storableText } from '../common/storable-text';
import { plainArray } from '../database/pg-array';
import { pgPool } from '../database/pg-pool';
import type { DeliveryStatus } from './delivery.entity';
import { RESPONSE_EXCERPT_BYTES } from './http-sender';
import { INSTANCE_ID } from './instance-id';

/**
 * Results wait this long for others before their batch is written: nobody waits on a result write
 * (the attempt is over), and fewer, larger commits leave PostgreSQL's CPU and WAL flushes to ingest.
 */
const RESULT_WINDOW_MS = 10;

/** What an attempt records when its result, as it came, could not be written. */
export const UNRECORDABLE_RESULT = 'the result could not be recorded as it came';

/** A row of delivery_attempts. */
export interface AttemptRecord {
  deliveryId: string;
  webhookId: string;
  attemptNumber: number;
  startedAt: Date;
  durationMs: number;
  statusCode: number | null;
  responseExcerpt: string | null;
  error: string | null;
}

/** The new state of a delivery. */
export interface DeliveryUpdate {
  deliveryId: string;
  status: DeliveryStatus;
  attemptCount: number;
  nextAttemptAt: Date | null;
  /** true: this process keeps the delivery (a retry timer in memory); false: the lease is cleared. */
  keepLease: boolean;
  /** true: last_status_code and last_error are set from this update; false: they are kept. */
  recordOutcome: boolean;
  lastStatusCode: number | null;
  lastError: string | null;
}

export type WriteItem =
  | { kind: 'result'; attempt: AttemptRecord; update: DeliveryUpdate }
  | { kind: 'update'; update: DeliveryUpdate }
  | { kind: 'handBack'; deliveryId: string };

const WRITE_RESULTS = `
WITH attempts AS (
  INSERT INTO delivery_attempts
    (delivery_id, webhook_id, attempt_number, started_at, duration_ms, status_code, response_excerpt, error)
  SELECT a.* FROM unnest($1::uuid[], $2::uuid[], $3::int[], $4::timestamptz[], $5::int[], $6::int[], $7::text[], $8::text[])
    AS a(delivery_id, webhook_id, attempt_number, started_at, duration_ms, status_code, response_excerpt, error)
  WHERE a.delivery_id IN (SELECT id FROM deliveries WHERE id = ANY($1::uuid[]))
), updated AS (
  UPDATE deliveries d SET
    status = CASE WHEN d.status = 'paused' AND u.status IN ('pending', 'retrying') THEN 'paused' ELSE u.status END,
    attempt_count = u.attempt_count,
    next_attempt_at = CASE WHEN u.status = 'paused' THEN d.next_attempt_at ELSE u.next_attempt_at END,
    lease_expires_at = CASE WHEN u.keep_lease THEN d.lease_expires_at END,
    leased_by = CASE WHEN u.keep_lease THEN d.leased_by END,
    last_status_code = CASE WHEN u.record THEN u.status_code ELSE d.last_status_code END,
    last_error = CASE WHEN u.record THEN u.error ELSE d.last_error END,
    -- the engine skips a delivery only when the target's transform returns null (filters skip at ingest)
    skip_reason = CASE WHEN u.status = 'skipped' THEN 'transform' ELSE d.skip_reason END,
    updated_at = now()
  FROM unnest($9::uuid[], $10::varchar[], $11::int[], $12::timestamptz[], $13::bool[], $14::bool[], $15::int[], $16::text[])
    AS u(id, status, attempt_count, next_attempt_at, keep_lease, record, status_code, error)
  WHERE d.id = u.id AND d.status NOT IN ('delivered', 'failed', 'cancelled', 'skipped')
    AND (d.leased_by = $18 OR d.leased_by IS NULL)
)
UPDATE deliveries SET lease_expires_at = NULL, leased_by = NULL
WHERE id = ANY($17::uuid[]) AND leased_by = $18 AND status NOT IN ('delivered', 'failed', 'cancelled', 'skipped')`;

/**
 * Writes attempt rows and delivery state changes in batches (one statement per batch): batching
 * the result writes matters as much as batching the inserts. The updated deliveries are found by
 * primary key from the batch (`d.id = u.id`, the batch's rows counted by the planner); a filter on
 * `status IN ('pending', 'retrying')` would lead the planner to the partial due-index, whose
 * not-yet-vacuumed entries make every batch slower as history grows, and an extra
 * `d.id = ANY(...)` made it expect one delivery and compare every delivery with every item of the
 * batch (80 results: 6 400 comparisons, 7.8 of the statement's 10 ms).
 */
@Injectable()
export class ResultWriter {
  private readonly logger = new Logger(ResultWriter.name);
  private readonly batcher = new Batcher<WriteItem>((items) => this.write(items), 1000, 2, RESULT_WINDOW_MS);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(INSTANCE_ID) private readonly instanceId: string,
  ) {}

  /**
   * An attempt was made: its history row and the delivery's new state. Text from outside is made
   * storable first; should the row still be refused, the attempt is recorded without the
   * receiver's answer, so the delivery moves on (its attempt count grows) instead of being sent
   * again and again.
   */
  async recordResult(attempt: AttemptRecord, update: DeliveryUpdate): Promise<void> {
    try {
      await this.batcher.submit({
        kind: 'result',
        attempt: {
          ...attempt,
          responseExcerpt: storableText(attempt.responseExcerpt, RESPONSE_EXCERPT_BYTES),
          error: storableText(attempt.error, MAX_ERROR_CHARS),
        },
        update: storableUpdate(update),
      });
    } catch (error) {
      if (!isRowError(error)) throw error;
      this.logger.error(
        `Delivery ${attempt.deliveryId}: attempt ${attempt.attemptNumber} could not be recorded (${(error as Error).message}); recording it without the receiver's answer`,
      );
      await this.batcher.submit({
        kind: 'result',
        attempt: { ...attempt, responseExcerpt: null, error: UNRECORDABLE_RESULT },
        update: { ...update, lastError: UNRECORDABLE_RESULT },
      });
    }
  }

  /** A state change without an attempt (rescheduled while a circuit is open, cancelled). */
  update(update: DeliveryUpdate): Promise<void> {
    return this.batcher.submit({ kind: 'update', update: storableUpdate(update) });
  }

  /** This process lets go of the delivery: its lease is cleared so any sweep can take it. */
  handBack(deliveryId: string): Promise<void> {
    return this.batcher.submit({ kind: 'handBack', deliveryId });
  }

  drain(): Promise<void> {
    return this.batcher.drain();
  }

  private async write(items: WriteItem[]): Promise<void> {
    // Not a named (prepared) statement: after five runs PostgreSQL may cache a generic plan, made
    // while `deliveries` was small, that scans the table for every batch (measured: 48 ms and 0.8 ms
    // of PostgreSQL's CPU per delivery instead of 3 ms a batch); planned with its arrays each time,
    // the rows are found by primary key however the table has grown.
    await pgPool(this.dataSource).query(resultWriteQuery(items, this.instanceId));
  }
}

/** The one statement that writes a batch of results, state changes and hand-backs. */
export function resultWriteQuery(
  items: WriteItem[],
  instanceId: string,
): { text: string; values: unknown[] } {
  const attempts: AttemptRecord[] = [];
  const updates = new Map<string, DeliveryUpdate>();
  const handBacks = new Set<string>();
  for (const item of items) {
    if (item.kind === 'handBack') {
      handBacks.add(item.deliveryId);
      continue;
    }
    if (item.kind === 'result') attempts.push(item.attempt);
    updates.set(item.update.deliveryId, item.update);
  }
  for (const id of updates.keys()) handBacks.delete(id);
  const u = [...updates.values()];
  return {
    text: WRITE_RESULTS,
    values: [
      plainArray(attempts.map((a) => a.deliveryId)),
      plainArray(attempts.map((a) => a.webhookId)),
      plainArray(attempts.map((a) => a.attemptNumber)),
      attempts.map((a) => a.startedAt),
      plainArray(attempts.map((a) => a.durationMs)),
      plainArray(attempts.map((a) => a.statusCode)),
      attempts.map((a) => a.responseExcerpt),
      attempts.map((a) => a.error),
      plainArray(u.map((x) => x.deliveryId)),
      plainArray(u.map((x) => x.status)),
      plainArray(u.map((x) => x.attemptCount)),
      u.map((x) => x.nextAttemptAt),
      plainArray(u.map((x) => x.keepLease)),
      plainArray(u.map((x) => x.recordOutcome)),
      plainArray(u.map((x) => x.lastStatusCode)),
      u.map((x) => x.lastError),
      plainArray([...handBacks]),
      instanceId,
    ],
  };
}

function storableUpdate(update: DeliveryUpdate): DeliveryUpdate {
  return { ...update, lastError: storableText(update.lastError, MAX_ERROR_CHARS) };
}
