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
 * The conditions a delivery `d` of a target `t` (not deleted: its deliveries are never replayed
 * nor cancelled in bulk) must meet to match a filter; parameters $1–$6 come from filterParams.
 */
export const MATCHES_FILTER = `
  t.id = d.target_id AND t.deleted_at IS NULL
  AND d.webhook_id = $1 AND d.status = ANY($2::varchar[])
  AND ($3::uuid IS NULL OR d.target_id = $3::uuid)
  AND ($4::timestamptz IS NULL OR d.created_at >= $4::timestamptz)
  AND ($5::timestamptz IS NULL OR d.created_at < $5::timestamptz)
  AND d.created_at <= $6::timestamptz`;

/** The parameters $1–$6 of MATCHES_FILTER. */
export function filterParams(filter: DeliveryFilter): unknown[] {
  return [filter.webhookId, filter.statuses, filter.targetId, filter.since, filter.until, filter.createdUpTo];
}

/**
 * The ids of the webhook `$1`'s next `$3` deliveries after the keyset cursor `$2` (null: from the
 * start), by id, whatever their status: a walk of the (webhook_id, id) index that never rescans.
 * One batch of a bulk operation changes the ones among them that match its filter, found by
 * primary key (`id = ANY(...)`), a plan that does not depend on the table's statistics.
 */
export const NEXT_DELIVERIES = `
  SELECT id FROM deliveries
  WHERE webhook_id = $1 AND ($2::uuid IS NULL OR id > $2::uuid)
  ORDER BY id
  LIMIT $3`;
