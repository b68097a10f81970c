import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, In, IsNull, Repository } from 'typeorm';
import { pgPool } from '../database/pg-pool';
import type { OutcomeSummary, TargetHealth } from '../delivery/circuit-breaker';
import type { TargetSnapshot } from '../delivery/delivery-task';
import { isLive } from './signing-secrets';
import { Target } from './target.entity';

interface HealthRow {
  id: string;
  consecutive_failures: number;
  circuit_open_until: Date | null;
  failing_since: Date | null;
}

function toHealth(row: HealthRow): TargetHealth {
  return {
    targetId: row.id,
    consecutiveFailures: row.consecutive_failures,
    circuitOpenUntil: row.circuit_open_until,
    failingSince: row.failing_since,
  };
}

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

  /**
   * Counts a batch of attempt outcomes on the target rows, whichever replica made them, and opens
   * a circuit that reached `threshold` failures in a row for `cooldownMs`. The counting happens in
   * the UPDATE itself (on the latest row version), so concurrent replicas never lose a count.
   * Returns the state of record of every target in the batch.
   */
  async recordOutcomes(
    outcomes: OutcomeSummary[],
    threshold: number,
    cooldownMs: number,
  ): Promise<TargetHealth[]> {
    if (outcomes.length === 0) return [];
    const { rows } = await pgPool(this.dataSource).query<HealthRow>(
      `UPDATE targets t SET
         consecutive_failures = CASE WHEN o.reset THEN o.failures ELSE t.consecutive_failures + o.failures END,
         failing_since = CASE WHEN o.reset THEN o.first_failure_at ELSE coalesce(t.failing_since, o.first_failure_at) END,
         circuit_open_until = CASE
           WHEN (CASE WHEN o.reset THEN o.failures ELSE t.consecutive_failures + o.failures END) < $5 THEN NULL
           WHEN o.failures > 0 THEN now() + make_interval(secs => $6::float8 / 1000)
           ELSE t.circuit_open_until END
       FROM unnest($1::uuid[], $2::bool[], $3::int[], $4::timestamptz[]) AS o(id, reset, failures, first_failure_at)
       WHERE t.id = o.id
       RETURNING t.id, t.consecutive_failures, t.circuit_open_until, t.failing_since`,
      [
        outcomes.map((o) => o.targetId),
        outcomes.map((o) => o.reset),
        outcomes.map((o) => o.failures),
        outcomes.map((o) => o.firstFailureAt),
        threshold,
        cooldownMs,
      ],
    );
    return rows.map(toHealth);
  }

  /**
   * Claims the one probe of an open circuit whose cooldown is over: the first replica to ask moves
   * `circuit_open_until` a cooldown ahead and may probe; every other one gets the current state.
   */
  async claimProbe(
    targetId: string,
    threshold: number,
    cooldownMs: number,
  ): Promise<{ probe: boolean; health: TargetHealth }> {
    const { rows } = await pgPool(this.dataSource).query<HealthRow & { probe: boolean }>(
      `WITH claimed AS (
         UPDATE targets SET circuit_open_until = now() + make_interval(secs => $3::float8 / 1000)
         WHERE id = $1 AND consecutive_failures >= $2 AND (circuit_open_until IS NULL OR circuit_open_until <= now())
         RETURNING id, consecutive_failures, circuit_open_until, failing_since
       )
       SELECT *, true AS probe FROM claimed
       UNION ALL
       SELECT id, consecutive_failures, circuit_open_until, failing_since, false AS probe FROM targets
       WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM claimed)`,
      [targetId, threshold, cooldownMs],
    );
    const row = rows[0];
    if (!row)
      return {
        probe: false,
        health: { targetId, consecutiveFailures: 0, circuitOpenUntil: null, failingSince: null },
      };
    return { probe: row.probe, health: toHealth(row) };
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
