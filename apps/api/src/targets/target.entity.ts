import {
  Check,
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

export const TARGET_TYPES = ['http', 'database', 'log'] as const;
export type TargetType = (typeof TARGET_TYPES)[number];

export const HTTP_METHODS = ['POST', 'PUT', 'PATCH'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** The configuration of an `http` target, with every default applied. */
export interface HttpTargetConfig {
  url: string;
  method: HttpMethod;
  headers: Record<string, string>;
  timeoutMs: number;
  maxRetries: number;
  maxBackoffMs: number;
  concurrency: number;
  /** Deliveries per second at most, shared by every replica; null: no limit. */
  rateLimit: RateLimit | null;
}

/** An `http` target's stored settings with the fields added since it was saved filled in. */
export function withCurrentFields(http: HttpTargetConfig | null): HttpTargetConfig | null {
  return http && { ...http, rateLimit: http.rateLimit ?? null };
}

/** A token bucket: `perSecond` on average, up to `burst` at once. */
export interface RateLimit {
  perSecond: number;
  burst: number;
}

/** A Standard Webhooks secret; expired ones stop signing. */
export interface SigningSecret {
  id: string;
  secret: string;
  createdAt: string;
  expiresAt: string | null;
}

/** A destination of a webhook. */
@Entity('targets')
@Index('targets_webhook_key', ['webhookId', 'key'], {
  unique: true,
  where: 'key IS NOT NULL AND deleted_at IS NULL',
})
@Check('targets_type_check', `"type" IN ('http', 'database', 'log')`)
export class Target {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index('targets_webhook_id_idx')
  @Column({ type: 'uuid' })
  webhookId: string;

  @ManyToOne(() => Webhook)
  @JoinColumn({ name: 'webhook_id' })
  webhook?: Webhook;

  @Column({ type: 'varchar', length: 100 })
  name: string;

  @Column({ type: 'varchar', length: 16 })
  type: TargetType;

  @Column({ type: 'boolean', default: true })
  active: boolean;

  /** Type configuration: HttpTargetConfig for `http`, null otherwise. */
  @Column({ type: 'jsonb', nullable: true })
  http: HttpTargetConfig | null;

  /** Which events the target takes (Hookdeck/Convoy filter syntax); null: every event. */
  @Column({ type: 'jsonb', nullable: true })
  filter: object | null;

  /** JavaScript `function handler(request) { … }` reshaping each request before it is sent (http targets); null: none. */
  @Column({ type: 'text', nullable: true })
  transform: string | null;

  /** Newest first. */
  @Column({ type: 'jsonb', default: () => `'[]'` })
  signingSecrets: SigningSecret[];

  /** Failed attempts in a row (circuit breaker); any success resets it. */
  @Column({ type: 'int', default: 0 })
  consecutiveFailures: number;

  /** While in the future the circuit is open: no attempts are made. */
  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  circuitOpenUntil: Date | null;

  /** When the current run of failures began; null after a success (auto-disable clock). */
  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  failingSince: Date | null;

  /** Why webhooker deactivated the target (410 Gone, failing too long); null otherwise. */
  @Column({ type: 'text', nullable: true })
  disabledReason: string | null;

  /** When webhooker deactivated the target; null otherwise. */
  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  disabledAt: Date | null;

  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;

  @DeleteDateColumn({ type: 'timestamptz' })
  deletedAt: Date | null;

  /** Stable key for configuration as code (unique per webhook); null until given. */
  @Column({ type: 'varchar', length: 100, nullable: true })
  key: string | null;
}
