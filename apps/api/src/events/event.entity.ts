import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/** One captured inbound request, byte-exact. Hard-deleted with its webhook or by retention. */
@Entity('events')
@Index('events_webhook_id_received_at_idx', ['webhookId', 'receivedAt', 'id'])
export class Event {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ type: 'uuid' })
  webhookId: string;

  /** The entrypoint it came through; null for an operational event of a system webhook. */
  @Column({ type: 'uuid', nullable: true })
  entrypointId: string | null;

  @Column({ type: 'varchar', length: 10 })
  method: string;

  @Column({ type: 'text' })
  path: string;

  /** The query string without `?`, empty when there is none. */
  @Column({ type: 'text', default: '' })
  query: string;

  /** Header name (lower case) to value, as received. */
  @Column({ type: 'jsonb' })
  headers: Record<string, string>;

  @Column({ type: 'bytea' })
  body: Buffer;

  @Column({ type: 'text', nullable: true })
  contentType: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  sourceIp: string | null;

  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  receivedAt: Date;

  /** A test event, sent from the dashboard or the API to one target (`POST /targets/{id}/test`). */
  @Column({ type: 'boolean', default: false })
  test: boolean;
}
