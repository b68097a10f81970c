import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import type { OperationalEventType } from '../common/operational-events';

/** An alert subscription: a target of its owner's system webhook, and the operational event types it wants. */
@Entity('alert_subscriptions')
export class AlertSubscription {
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'alert_subscriptions_pkey' })
  targetId: string;

  @Column({ type: 'text', array: true })
  eventTypes: OperationalEventType[];

  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt: Date;
}
