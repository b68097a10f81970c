import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** The first response to a create call made with an `Idempotency-Key`, replayed on retries. */
@Entity('idempotency_keys')
export class IdempotencyKey {
  @PrimaryColumn({ type: 'uuid' })
  userId: string;

  @PrimaryColumn({ type: 'varchar', length: 255 })
  key: string;

  /** SHA-256 of method, path and body: the same key with another request is refused. */
  @Column({ type: 'char', length: 64 })
  requestHash: string;

  /** Null while the first request is still being handled. */
  @Column({ type: 'int', nullable: true })
  responseStatus: number | null;

  @Column({ type: 'jsonb', nullable: true })
  responseBody: unknown;

  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt: Date;
}
