import { Check, Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export const DELIVERY_STATUSES = [
  'pending',
  'retrying',
  'paused',
  'delivered',
  'failed',
  'cancelled',
  'skipped',
] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** Why a delivery is `skipped`: the target's filter did not match, or its transform returned null. */
export const SKIP_REASONS = ['filter', 'transform'] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

/** One per (event, target): the unit of work of the delivery engine, and its queue row. */
@Entity('deliveries')
@Check(
  'deliveries_status_check',
  `"status" IN ('pending', 'retrying', 'paused', 'delivered', 'failed', 'cancelled', 'skipped')`,
)
@Index('deliveries_due_by_target_idx', ['targetId', 'nextAttemptAt'], {
  where: `status IN ('pending', 'retrying')`,
})
@Index('deliveries_target_id_status_idx', ['targetId', 'status', 'createdAt'])
@Index('deliveries_webhook_id_id_idx', ['webhookId', 'id'])
export class Delivery {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Index('deliveries_event_id_idx')
  @Column({ type: 'uuid' })
  eventId: string;

  @Column({ type: 'uuid' })
  webhookId: string;

  @Column({ type: 'uuid' })
  targetId: string;

  @Column({ type: 'varchar', length: 16 })
  status: DeliveryStatus;

  @Column({ type: 'int', default: 0 })
  attemptCount: number;

  /** attemptCount when the delivery was last replayed: retries are counted from there. */
  @Column({ type: 'int', default: 0 })
  replayBase: number;

  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  nextAttemptAt: Date | null;

  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  leaseExpiresAt: Date | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  leasedBy: string | null;

  @Column({ type: 'int', nullable: true })
  lastStatusCode: number | null;

  @Column({ type: 'text', nullable: true })
  lastError: string | null;

  /** Why the delivery is `skipped`; null otherwise. */
  @Column({ type: 'text', nullable: true })
  skipReason: SkipReason | null;

  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz', precision: 3 })
  updatedAt: Date;
}
