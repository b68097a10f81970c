import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { EntityManager, In, Repository } from 'typeorm';
import { Page, PageQueryDto, paginate } from '../common/pagination';
import { ArchivedEvent } from './archived-event.entity';
import { DeliveryAttempt } from './delivery-attempt.entity';
import {
  DeliveryBatch,
  DeliveryFilter,
  filterParams,
  MATCHES_FILTER,
  NEXT_DELIVERIES,
} from './delivery-filter';
import { Delivery, DeliveryStatus } from './delivery.entity';

@Injectable()
export class DeliveryService {
  constructor(@InjectRepository(Delivery) private readonly deliveries: Repository<Delivery>) {}

  /** Deliveries not yet done (pending, retrying) of a target or webhook become `cancelled`. */
  async cancelUnfinished(
    scope: { targetId: string } | { webhookId: string },
    manager: EntityManager,
  ): Promise<void> {
    await manager
      .getRepository(Delivery)
      .update(
        { ...scope, status: In(['pending', 'retrying']) },
        { status: 'cancelled', nextAttemptAt: null, leaseExpiresAt: null, leasedBy: null },
      );
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

  async attempts(deliveryId: string): Promise<DeliveryAttempt[]> {
    return this.deliveries.manager
      .getRepository(DeliveryAttempt)
      .find({ where: { deliveryId }, order: { attemptNumber: 'ASC' } });
  }

  async listForTarget(
    targetId: string,
    status: DeliveryStatus | undefined,
    page: PageQueryDto,
  ): Promise<Page<Delivery>> {
    const query = this.deliveries
      .createQueryBuilder('delivery')
      .where('delivery.targetId = :targetId', { targetId });
    if (status) query.andWhere('delivery.status = :status', { status });
    return paginate(query, page);
  }

  /**
   * Queues a finished delivery (delivered, failed or cancelled) again, leased to `leaseHolder`
   * (null: left to any replica's sweep):
   * it gets a fresh set of retries. Returns the delivery, or null when it is still in progress.
   */
  async replay(id: string, leaseHolder: string | null, leaseMs: number): Promise<Delivery | null> {
    const rows: { id: string }[] = await this.deliveries
      .query(
        `UPDATE deliveries SET status = 'pending', replay_base = attempt_count, next_attempt_at = now(),
         lease_expires_at = CASE WHEN $2::text IS NULL THEN NULL ELSE now() + make_interval(secs => $3::float8 / 1000) END,
         leased_by = $2, updated_at = now()
       WHERE id = $1 AND status IN ('delivered', 'failed', 'cancelled') RETURNING id`,
        [id, leaseHolder, leaseMs],
      )
      .then(([result]: [{ id: string }[]]) => result);
    return rows.length > 0 ? this.get(id) : null;
  }

  /** Queues every failed delivery of a target again (the sweep picks them up); returns how many. */
  async replayFailed(targetId: string): Promise<number> {
    const [, count]: [unknown, number] = await this.deliveries.query(
      `UPDATE deliveries SET status = 'pending', replay_base = attempt_count, next_attempt_at = now(),
         lease_expires_at = NULL, leased_by = NULL, updated_at = now()
       WHERE target_id = $1 AND status = 'failed'`,
      [targetId],
    );
    return count;
  }

  /** New deliveries of an event to the given targets, leased to `leaseHolder`. */
  async createForEvent(
    event: { id: string; webhookId: string },
    targetIds: string[],
    leaseHolder: string | null,
    leaseMs: number,
  ): Promise<Delivery[]> {
    const leaseExpiresAt = leaseHolder ? new Date(Date.now() + leaseMs) : null;
    const deliveries = targetIds.map((targetId) =>
      this.deliveries.create({
        id: randomUUID(),
        eventId: event.id,
        webhookId: event.webhookId,
        targetId,
        status: 'pending',
        attemptCount: 0,
        replayBase: 0,
        nextAttemptAt: new Date(),
        leaseExpiresAt,
        leasedBy: leaseHolder,
        lastStatusCode: null,
        lastError: null,
      }),
    );
    return this.deliveries.save(deliveries);
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
   * `replay` but left to any replica's sweep: a fresh set of retries, due now; a delivery of an
   * inactive target becomes `paused` instead of `pending`, so nothing is attempted until its target
   * is activated.
   */
  async replayBatch(
    filter: DeliveryFilter,
    after: string | null,
    limit: number,
    manager: EntityManager,
  ): Promise<DeliveryBatch> {
    return this.changeBatch(
      filter,
      after,
      limit,
      manager,
      `status = CASE WHEN t.active THEN 'pending' ELSE 'paused' END, replay_base = d.attempt_count,
       next_attempt_at = now()`,
      [],
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
