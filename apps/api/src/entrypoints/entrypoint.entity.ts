import {
  Column,
  CreateDateColumn,
  DeleteDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import { Webhook } from '../webhooks/webhook.entity';
import type { VerificationConfig } from './verification';
import type { DedupSetting } from './dedup-settings';

/** An inbound URL, `/webhook/{id}`, of a webhook. */
@Entity('entrypoints')
@Index('entrypoints_webhook_key', ['webhookId', 'key'], {
  unique: true,
  where: 'key IS NOT NULL AND deleted_at IS NULL',
})
export class Entrypoint {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index('entrypoints_webhook_id_idx')
  @Column({ type: 'uuid' })
  webhookId: string;

  @ManyToOne(() => Webhook)
  @JoinColumn({ name: 'webhook_id' })
  webhook?: Webhook;

  @Column({ type: 'varchar', length: 500, default: '' })
  description: string;

  @Column({ type: 'boolean', default: true })
  active: boolean;

  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;

  @DeleteDateColumn({ type: 'timestamptz' })
  deletedAt: Date | null;

  /** How senders are verified, with the secrets (never shown); null: not verified. */
  @Column({ type: 'jsonb', nullable: true })
  verification: VerificationConfig | null;
  /** How duplicates are recognised; null: every request becomes an event. */
  @Column({ type: 'jsonb', nullable: true })
  dedup: DedupSetting | null;

  /** Duplicates answered with the first event's id, counted by ingest only (never written by the ORM). */
  @Column({
    type: 'bigint',
    default: 0,
    insert: false,
    update: false,
    transformer: { to: (value: number) => value, from: (value: string) => Number(value) },
  })
  duplicateCount: number;

  /** Stable key for configuration as code (unique per webhook); null until given. */
  @Column({ type: 'varchar', length: 100, nullable: true })
  key: string | null;
}
