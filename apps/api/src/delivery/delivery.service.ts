import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, In, Repository } from 'typeorm';
import { cursorPosition, DEFAULT_PAGE_LIMIT, Page, PageQueryDto, paginate } from '../common/pagination';
import { newRowId } from '../common/row-id';
import { ArchivedEvent } from './archived-event.entity';
import { DeliveryAttempt } from './delivery-attempt.entity';
import {
  DeliveryBatch,
  DeliveryFilter,
  filterParams,
  MATCHES_FILTER,
  NEXT_DELIVERIES,
} from './delivery-filter';
import { Delivery, DELIVERY_STATUSES, DeliveryStatus } from './delivery.entity';

@Injectable()
export class DeliveryService {
  constructor(@InjectRepository(Delivery) private readonly deliveries: Repository<Delivery>) {}

  /** Deliveries not yet done (pending, retrying, paused) of a target or webhook become `cancelled`. */
  async cancelUnfinished(
    scope: { targetId: string } | { webhookId: string },
    manager: EntityManager,
  ): Promise<void> {
    await manager
      .getRepository(Delivery)
      .update(
        { ...scope, status: In(['pending', 'retrying', 'paused']) },
        { status: 'cancelled', nextAttemptAt: null, leaseExpiresAt: null, leasedBy: null },
      );
  }

  /** The waiting deliveries of a target that was deactivated become `paused` (no replica attempts them). */
  async pauseWaiting(targetId: string, manager: EntityManager = this.deliveries.manager): Promise<number> {
    const [, count]: [unknown, number] = await manager.query(
      `UPDATE deliveries SET status = 'paused', lease_expires_at = NULL, leased_by = NULL, updated_at = now()
       WHERE target_id = $1 AND status IN ('pending', 'retrying')`,
      [targetId],
    );
    return count;
  }

  /**
   * The paused deliveries of a target that was activated go back to the queue, each as it was
   * (`pending`, or `retrying` with its retries so far); their times are kept, so the sweep takes
   * them oldest first, in order of arrival.
   */
  async resumePaused(targetId: string, manager: EntityManager): Promise<number> {
    const [, count]: [unknown, number] = await manager.query(
      `UPDATE deliveries SET status = CASE WHEN attempt_count = 0 THEN 'pending' ELSE 'retrying' END,
         next_attempt_at = coalesce(next_attempt_at, now()), lease_expires_at = NULL, leased_by = NULL,
         updated_at = now()
       WHERE target_id = $1 AND status = 'paused'`,
      [targetId],
    );
    return count;
  }

  /** How many deliveries wait, paused, for each of the targets. */
  async countPaused(targetIds: string[]): Promise<Map<string, number>> {
    if (targetIds.length === 0) return new Map();
    const rows: { target_id: string; paused: number }[] = await this.deliveries.query(
      `SELECT target_id, count(*)::int AS paused FROM deliveries
       WHERE target_id = ANY($1::uuid[]) AND status = 'paused' GROUP BY target_id`,
      [targetIds],
    );
    return new Map(rows.map((row) => [row.target_id, row.paused]));
  }

  /**
   * Hard-deletes up to `limit` rows of one of the webhook's delivery tables (attempts first, then
   * archived events, then deliveries); returns how many rows went, 0 when none are left.
   */
  async purgeBatch(webhookId: string, limit: number): Promise<number> {
    for (const entity of [DeliveryAttempt, ArchivedEvent, Delivery]) {
      const table = this.deliveries.manager.getRepository(entity).metadata.tableName;
      const result: [unknown[], number] = await this.deliveries.query(
        `DELETE FROM ${table} WHERE ctid IN (SELECT ctid FROM ${table} WHERE webhook_id = $1 LIMIT $2)`,
        [webhookId, limit],
      );
      if (result[1] > 0) return result[1];
    }
    return 0;
  }

  async get(id: string): Promise<Delivery | null> {
    return this.deliveries.findOneBy({ id });
  }

  async listForEvent(eventId: string): Promise<Delivery[]> {
    return this.deliveries.find({ where: { eventId }, order: { createdAt: 'ASC' } });
  }

  /** The deliveries of several events, oldest first. */
  async listForEvents(eventIds: string[]): Promise<Delivery[]> {
    if (eventIds.length === 0) return [];
    return this.deliveries.find({ where: { eventId: In(eventIds) }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  /**
   * How many deliveries wait (pending or retrying) per target: one grouped count over the partial
   * index deliveries_due_by_target_idx, however large the history.
   */
  async waitingByTarget(): Promise<Map<string, number>> {
    const rows: { target_id: string; waiting: number }[] = await this.deliveries.query(
      `SELECT target_id, count(*)::int AS waiting FROM deliveries
       WHERE status IN ('pending', 'retrying') GROUP BY target_id`,
    );
    return new Map(rows.map((row) => [row.target_id, row.waiting]));
  }

  async attempts(deliveryId: string): Promise<DeliveryAttempt[]> {
    return this.deliveries.manager
      .getRepository(DeliveryAttempt)
      .find({ where: { deliveryId }, order: { attemptNumber: 'ASC' } });
  }

  /**
   * A target's deliveries, newest first, in one status or in all. The index on (target_id, status,
   * created_at) gives each status's deliveries in order; without a status, the page is merged from
   * one such ordered read per status (the page's length at most each), so the first page of a
   * target with millions of deliveries reads a few hundred entries instead of sorting them all.
   */
  async listForTarget(
    targetId: string,
    status: DeliveryStatus | undefined,
    page: PageQueryDto,
  ): Promise<Page<Delivery>> {
    const query = this.deliveries
      .createQueryBuilder('delivery')
      .where('delivery.targetId = :targetId', { targetId });
    if (status) query.andWhere('delivery.status = :status', { status });
    else {
      const position = cursorPosition(page.cursor);
      // `created_at <=` bounds the index scan (id is not in the index); the row comparison then
      // excludes the rows of that millisecond already on the previous page, as paginate() does
      const after = position
        ? 'AND d.created_at <= :cursorCreatedAt AND (d.created_at, d.id) < (:cursorCreatedAt, :cursorId)'
        : '';
      query.andWhere(
        `delivery.id IN (
          SELECT newest.id FROM unnest(CAST(:statuses AS varchar[])) AS s(status)
          CROSS JOIN LATERAL (
            SELECT d.id FROM deliveries d
            WHERE d.target_id = :targetId AND d.status = s.status ${after}
            ORDER BY d.created_at DESC, d.id DESC
            LIMIT :perStatus
          ) newest)`,
        {
          statuses: [...DELIVERY_STATUSES],
          perStatus: (page.limit ?? DEFAULT_PAGE_LIMIT) + 1,
          ...(position && { cursorCreatedAt: position.createdAt, cursorId: position.id }),
        },
      );
    }
    return paginate(query, page);
  }

  /**
   * Queues a finished delivery (delivered, failed or cancelled) again, leased to `leaseHolder`
   * (null: left to any replica's sweep), or `paused` when its target is: it gets a fresh set of
   * retries and is marked as replayed by `replayedBy`. Returns the delivery, or null when it is
   * still in progress.
   */
  async replay(
    id: string,
    replayedBy: string,
    leaseHolder: string | null,
    leaseMs: number,
    paused = false,
  ): Promise<Delivery | null> {
    const rows: { id: string }[] = await this.deliveries
      .query(
        `UPDATE deliveries SET status = CASE WHEN $4 THEN 'paused' ELSE 'pending' END, replay_base = attempt_count, next_attempt_at = now(),
         lease_expires_at = CASE WHEN $2::text IS NULL THEN NULL ELSE now() + make_interval(secs => $3::float8 / 1000) END,
         leased_by = $2, replayed_at = now(), replayed_by = $5, updated_at = now()
       WHERE id = $1 AND status IN ('delivered', 'failed', 'cancelled') RETURNING id`,
        [id, leaseHolder, leaseMs, paused, replayedBy],
      )
      .then(([result]: [{ id: string }[]]) => result);
    return rows.length > 0 ? this.get(id) : null;
  }

  /**
   * Queues every failed delivery of a target again, marked as replayed by `replayedBy` (the sweep
   * picks them up; `paused` when the target is); returns how many.
   */
  async replayFailed(targetId: string, paused: boolean, replayedBy: string): Promise<number> {
    const [, count]: [unknown, number] = await this.deliveries.query(
      `UPDATE deliveries SET status = CASE WHEN $2 THEN 'paused' ELSE 'pending' END, replay_base = attempt_count, next_attempt_at = now(),
         lease_expires_at = NULL, leased_by = NULL, replayed_at = now(), replayed_by = $3, updated_at = now()
       WHERE target_id = $1 AND status = 'failed'`,
      [targetId, paused, replayedBy],
    );
    return count;
  }

  /**
   * New deliveries of an event to the given targets, leased to `leaseHolder`; a paused target's
   * waits as `paused`, one whose filter the event does not match is `skipped` (no lease, no
   * attempt). Deliveries of a replay are marked with who replayed them (`replayedBy`).
   */
  async createForEvent(
    event: { id: string; webhookId: string },
    targets: { id: string; paused: boolean; skipped: boolean }[],
    leaseHolder: string | null,
    leaseMs: number,
    {
      replayedBy = null,
      manager = this.deliveries.manager,
    }: { replayedBy?: string | null; manager?: EntityManager } = {},
  ): Promise<Delivery[]> {
    const now = new Date();
    const leaseExpiresAt = leaseHolder ? new Date(now.getTime() + leaseMs) : null;
    const deliveries = targets.map((target) => {
      const status = target.skipped ? 'skipped' : target.paused ? 'paused' : 'pending';
      return this.deliveries.create({
        id: newRowId(),
        eventId: event.id,
        webhookId: event.webhookId,
        targetId: target.id,
        status,
        attemptCount: 0,
        replayBase: 0,
        nextAttemptAt: status === 'skipped' ? null : now,
        leaseExpiresAt: status === 'pending' ? leaseExpiresAt : null,
        leasedBy: status === 'pending' ? leaseHolder : null,
        lastStatusCode: null,
        lastError: null,
        skipReason: status === 'skipped' ? 'filter' : null,
        replayedAt: replayedBy === null ? null : now,
        replayedBy,
      });
    });
    return manager.getRepository(Delivery).save(deliveries);
  }

  /** How many deliveries a bulk operation's filter matches now. */
  async countMatching(filter: DeliveryFilter, manager: EntityManager): Promise<number> {
    const rows: { count: number }[] = await manager.query(
      `SELECT count(*)::int AS count FROM deliveries d, targets t WHERE ${MATCHES_FILTER}`,
      filterParams(filter),
    );
    return rows[0]?.count ?? 0;
  }

  /**
   * Replays the matching deliveries among the webhook's next `limit` after the cursor `after`, like
   * `replay` but left to any replica's sweep: a fresh set of retries, due now, marked as replayed
   * by `replayedBy`; a delivery of an inactive target becomes `paused` instead of `pending`, so
   * nothing is attempted until its target is activated.
   */
  async replayBatch(
    filter: DeliveryFilter,
    after: string | null,
    limit: number,
    replayedBy: string | null,
    manager: EntityManager,
  ): Promise<DeliveryBatch> {
    return this.changeBatch(
      filter,
      after,
      limit,
      manager,
      `status = CASE WHEN t.active THEN 'pending' ELSE 'paused' END, replay_base = d.attempt_count,
       next_attempt_at = now(), replayed_at = now(), replayed_by = $8`,
      [replayedBy],
    );
  }

  /**
   * Cancels the matching deliveries among the webhook's next `limit` after the cursor `after`;
   * `reason` becomes their last error.
   */
  async cancelBatch(
    filter: DeliveryFilter,
    after: string | null,
    limit: number,
    reason: string,
    manager: EntityManager,
  ): Promise<DeliveryBatch> {
    return this.changeBatch(
      filter,
      after,
      limit,
      manager,
      `status = 'cancelled', next_attempt_at = NULL, last_error = $8`,
      [reason],
    );
  }

  /**
   * One keyset batch of a bulk operation in one short transaction: looks at the webhook's next
   * `limit` deliveries after the cursor, applies `set` (with `extra` parameters from $8) to those
   * the filter matches, clears their lease, and returns how many changed and where the cursor goes.
   */
  private async changeBatch(
    filter: DeliveryFilter,
    after: string | null,
    limit: number,
    manager: EntityManager,
    set: string,
    extra: unknown[],
  ): Promise<DeliveryBatch> {
    const scanned: { id: string }[] = await manager.query(NEXT_DELIVERIES, [filter.webhookId, after, limit]);
    const last = scanned.at(-1)?.id ?? null;
    if (last === null) return { changed: 0, last };
    const [, changed]: [unknown, number] = await manager.query(
      `UPDATE deliveries d SET ${set}, lease_expires_at = NULL, leased_by = NULL, updated_at = now()
       FROM targets t WHERE d.id = ANY($7::uuid[]) AND ${MATCHES_FILTER}`,
      [...filterParams(filter), scanned.map((row) => row.id), ...extra],
    );
    return { changed, last };
  }
}
