import type { DeliveryStatus } from './delivery.entity';

/** Which deliveries of a webhook a bulk operation acts on. */
export interface DeliveryFilter {
  webhookId: string;
  statuses: DeliveryStatus[];
  /** Only this target's deliveries; null: every current target of the webhook. */
  targetId: string | null;
  /** Only deliveries created at or after this time. */
  since: Date | null;
  /** Only deliveries created before this time. */
  until: Date | null;
  /** Only deliveries created at or before this time: when the operation was made. */
  createdUpTo: Date;
}

/** What one batch of a bulk operation did. */
export interface DeliveryBatch {
  /** Deliveries changed by the batch. */
  changed: number;
  /** The highest delivery id the batch looked at (the keyset cursor); null when none was left. */
  last: string | null;
}

/**
 * The deliveries a filter matches, of targets not deleted, as `d` joined with their target `t`;
 * parameters $1–$6 come from filterParams.
 */
export const MATCHING_DELIVERIES = `
  FROM deliveries d JOIN targets t ON t.id = d.target_id AND t.deleted_at IS NULL
  WHERE d.webhook_id = $1 AND d.status = ANY($2::varchar[])
    AND ($3::uuid IS NULL OR d.target_id = $3::uuid)
    AND ($4::timestamptz IS NULL OR d.created_at >= $4::timestamptz)
    AND ($5::timestamptz IS NULL OR d.created_at < $5::timestamptz)
    AND d.created_at <= $6::timestamptz`;

/** The parameters $1–$6 of MATCHING_DELIVERIES. */
export function filterParams(filter: DeliveryFilter): unknown[] {
  return [filter.webhookId, filter.statuses, filter.targetId, filter.since, filter.until, filter.createdUpTo];
}

/**
 * The next `$8` matching deliveries after the keyset cursor `$7` (null: from the start), by id,
 * with whether their target is active: the batch a bulk operation changes next.
 */
export const NEXT_BATCH = `
  SELECT d.id, t.active ${MATCHING_DELIVERIES}
    AND ($7::uuid IS NULL OR d.id > $7::uuid)
  ORDER BY d.id
  LIMIT $8`;
