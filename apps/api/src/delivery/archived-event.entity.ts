import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** A copy of an event written by a `database` target; not subject to retention. */
@Entity('archived_events')
@Index('archived_events_target_id_idx', ['targetId', 'archivedAt'])
@Index('archived_events_event_id_target_id_key', ['eventId', 'targetId'], { unique: true })
export class ArchivedEvent {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'uuid' })
  eventId: string;

  @Index('archived_events_webhook_id_idx')
  @Column({ type: 'uuid' })
  webhookId: string;

  @Column({ type: 'uuid' })
  targetId: string;

  @Column({ type: 'varchar', length: 10 })
  method: string;

  @Column({ type: 'text' })
  path: string;

  @Column({ type: 'text', default: '' })
  query: string;

  @Column({ type: 'jsonb' })
  headers: Record<string, string>;

  @Column({ type: 'bytea' })
  body: Buffer;

  @Column({ type: 'text', nullable: true })
  contentType: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  sourceIp: string | null;

  @Column({ type: 'timestamptz', precision: 3 })
  receivedAt: Date;

  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  archivedAt: Date;
}
