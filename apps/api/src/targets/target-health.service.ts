import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, In, IsNull, Repository } from 'typeorm';
import { pgPool } from '../database/pg-pool';
import type { TargetHealth } from '../delivery/circuit-breaker';
import type { TargetSnapshot } from '../delivery/delivery-task';
import { isLive } from './signing-secrets';
import { Target } from './target.entity';

export function toSnapshot(target: Target): TargetSnapshot {
  return {
    id: target.id,
    webhookId: target.webhookId,
    type: target.type,
    active: target.active && target.deletedAt === null,
    http: target.http,
    signingSecrets: target.signingSecrets.filter((secret) => isLive(secret)),
    consecutiveFailures: target.consecutiveFailures,
    circuitOpenUntil: target.circuitOpenUntil,
    failingSince: target.failingSince,
  };
}

/**
 * What the ingest path and the delivery engine read and write of targets: snapshots of their
 * configuration, and their health (circuit breaker, auto-disable).
 */
@Injectable()
export class TargetHealthService {
  private readonly logger = new Logger(TargetHealthService.name);

  constructor(
    @InjectRepository(Target) private readonly targets: Repository<Target>,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  /** The active targets of a webhook: one delivery each per event. */
  async activeSnapshots(webhookId: string): Promise<TargetSnapshot[]> {
    const targets = await this.targets.find({ where: { webhookId, active: true, deletedAt: IsNull() } });
    return targets.map(toSnapshot);
  }

  /** Snapshots by id, deleted targets included (as inactive); unknown ids are absent. */
  async snapshots(ids: string[]): Promise<Map<string, TargetSnapshot>> {
    if (ids.length === 0) return new Map();
    const targets = await this.targets.find({ where: { id: In(ids) }, withDeleted: true });
    return new Map(targets.map((target) => [target.id, toSnapshot(target)]));
  }

  /** Stores circuit-breaker state, one statement for the batch. */
  async saveHealth(health: TargetHealth[]): Promise<void> {
    if (health.length === 0) return;
    await pgPool(this.dataSource).query(
      `UPDATE targets t SET consecutive_failures = h.failures, circuit_open_until = h.open_until, failing_since = h.since
       FROM unnest($1::uuid[], $2::int[], $3::timestamptz[], $4::timestamptz[]) AS h(id, failures, open_until, since)
       WHERE t.id = h.id`,
      [
        health.map((h) => h.targetId),
        health.map((h) => h.consecutiveFailures),
        health.map((h) => h.circuitOpenUntil),
        health.map((h) => h.failingSince),
      ],
    );
  }

  /** Deactivates a target on webhooker's own decision (410 Gone, failing too long), saying why. */
  async disable(targetId: string, reason: string): Promise<void> {
    const result = await this.targets.update(
      { id: targetId, active: true },
      { active: false, disabledReason: reason },
    );
    if (result.affected) this.logger.warn(`Target ${targetId} disabled: ${reason}`);
  }
}
