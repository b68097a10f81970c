import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** One try of a delivery. */
@Entity('delivery_attempts')
@Index('delivery_attempts_delivery_id_idx', ['deliveryId', 'attemptNumber'])
export class DeliveryAttempt {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id: string;

  @Column({ type: 'uuid' })
  deliveryId: string;

  /**
   * Indexed for the purge of a deleted webhook alone: its second pass finds by it the attempts whose
   * result was written while their delivery was being purged (nothing locks the delivery against it).
   */
  @Index('delivery_attempts_webhook_id_idx')
  @Column({ type: 'uuid' })
  webhookId: string;

  /** 1 for the first try. */
  @Column({ type: 'int' })
  attemptNumber: number;

  @Column({ type: 'timestamptz', precision: 3 })
  startedAt: Date;

  @Column({ type: 'int' })
  durationMs: number;

  @Column({ type: 'int', nullable: true })
  statusCode: number | null;

  /** The first 4 KiB of the response body. */
  @Column({ type: 'text', nullable: true })
  responseExcerpt: string | null;

  @Column({ type: 'text', nullable: true })
  error: string | null;
}
