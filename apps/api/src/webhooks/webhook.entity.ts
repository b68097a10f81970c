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
import { User } from '../users/user.entity';

@Entity('webhooks')
@Index('webhooks_system_owner_key', ['ownerId'], { unique: true, where: 'system AND deleted_at IS NULL' })
@Index('webhooks_owner_key', ['ownerId', 'key'], {
  unique: true,
  where: 'key IS NOT NULL AND deleted_at IS NULL',
})
export class Webhook {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index('webhooks_owner_id_idx')
  @Column({ type: 'uuid' })
  ownerId: string;

  @ManyToOne(() => User)
  @JoinColumn({ name: 'owner_id' })
  owner?: User;

  @Column({ type: 'varchar', length: 100 })
  name: string;

  @Column({ type: 'varchar', length: 1000, default: '' })
  description: string;

  /** Events older than this many days are deleted by the retention job. */
  @Column({ type: 'int', default: 30 })
  retentionDays: number;

  /**
   * A user's system webhook: carries their operational events (alerts) to their alert
   * subscriptions; it has no entrypoint and is not listed or editable among webhooks.
   */
  @Column({ type: 'boolean', default: false })
  system: boolean;

  /** Set once the background job has hard-deleted the event data of a deleted webhook. */
  @Column({ type: 'timestamptz', nullable: true })
  eventDataPurgedAt: Date | null;

  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;

  @DeleteDateColumn({ type: 'timestamptz' })
  deletedAt: Date | null;

  /** Stable key for configuration as code (unique per owner); null until given. */
  @Column({ type: 'varchar', length: 100, nullable: true })
  key: string | null;
}
