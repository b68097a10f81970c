import { Check, Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { DeliveryStatus } from '../delivery/delivery.entity';

export const BULK_OPERATION_KINDS = ['replay', 'cancel'] as const;
export type BulkOperationKind = (typeof BULK_OPERATION_KINDS)[number];

export const BULK_OPERATION_STATES = ['running', 'done', 'failed'] as const;
export type BulkOperationState = (typeof BULK_OPERATION_STATES)[number];

/** Which deliveries of its webhook a bulk operation acts on, as given (times in ISO 8601). */
export interface BulkOperationFilter {
  status: DeliveryStatus[];
  targetId: string | null;
  since: string | null;
  until: string | null;
}

/**
 * A replay or cancel of every delivery of a webhook matching a filter, run in the background in
 * batches by one replica at a time (its lease) and resumed from its cursor by any other.
 */
@Entity('bulk_operations')
@Check('bulk_operations_kind_check', `"kind" IN ('replay', 'cancel')`)
@Check('bulk_operations_state_check', `"state" IN ('running', 'done', 'failed')`)
@Index('bulk_operations_webhook_id_created_at_idx', ['webhookId', 'createdAt'])
@Index('bulk_operations_running_idx', ['createdAt'], { where: `state = 'running'` })
export class BulkOperation {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ type: 'uuid' })
  webhookId: string;

  @Column({ type: 'varchar', length: 16 })
  kind: BulkOperationKind;

  @Column({ type: 'jsonb' })
  filter: BulkOperationFilter;

  @Column({ type: 'varchar', length: 16, default: 'running' })
  state: BulkOperationState;

  /** Deliveries the filter matched when the operation was made. */
  @Column({ type: 'int' })
  total: number;

  /** Deliveries changed so far. */
  @Column({ type: 'int', default: 0 })
  done: number;

  /** The keyset cursor: the highest delivery id handled so far; null before the first batch. */
  @Column({ type: 'uuid', nullable: true })
  lastDeliveryId: string | null;

  /** Who made it (a user name, or `API key whk_…`); its replays are marked with it. */
  @Column({ type: 'varchar', length: 100, nullable: true })
  createdBy: string | null;

  /** Why the operation failed. */
  @Column({ type: 'text', nullable: true })
  error: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  leasedBy: string | null;

  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  leaseExpiresAt: Date | null;

  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz', precision: 3 })
  updatedAt: Date;

  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  finishedAt: Date | null;
}
