import { Injectable, Logger } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { OPERATIONAL_EVENT, OperationalEvent } from '../common/operational-events';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, In, IsNull, Repository } from 'typeorm';
import { pgPool } from '../database/pg-pool';
import type { OutcomeSummary, TargetHealth } from '../delivery/circuit-breaker';
import type { TargetSnapshot } from '../delivery/delivery-task';
import { isLive } from './signing-secrets';
import { Target, withCurrentFields } from './target.entity';

/** A target's health after a batch of outcomes, and the circuit transition the batch caused. */
export interface RecordedHealth extends TargetHealth {
  webhookId: string;
  circuit?: 'opened' | 'closed';
}

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

/** The delivery engine's copy of a target; its owner is known when `target.webhook` was read with it. */
export function toSnapshot(target: Target): TargetSnapshot {
  return {
    id: target.id,
    webhookId: target.webhookId,
    ownerId: target.webhook?.ownerId ?? '',
    type: target.type,
    active: target.active && target.deletedAt === null,
    http: withCurrentFields(target.http),
    signingSecrets: target.signingSecrets.filter((secret) => isLive(secret)),
    consecutiveFailures: target.consecutiveFailures,
    circuitOpenUntil: target.circuitOpenUntil,
    failingSince: target.failingSince,
    filter: target.filter,
    transform: target.transform,
  };
}

/** The bucket's tokens after refilling it up to now(), at most `burst` ($4), at `perSecond` ($3). */
const REFILLED = `greatest(0, least($4::float8, b.tokens + greatest(0, extract(epoch FROM now() - b.refilled_at)) * $3::float8))`;

/**
 * Takes up to $2 tokens from the bucket of target $1 (see takeRateTokens). `now()` is when the
 * statement's transaction began, so a take that waited for the row's lock while another took
 * tokens can be older than the bucket's `refilled_at`: it refills nothing and leaves `refilled_at`
 * where it is. So no grant is below zero, and no stretch of time is refilled twice.
 */
export const TAKE_RATE_TOKENS = `
INSERT INTO target_rate_buckets AS b (target_id, tokens, granted, refilled_at)
VALUES ($1, $4::float8 - least($2::int, floor($4::float8)), least($2::int, floor($4::float8)), now())
ON CONFLICT (target_id) DO UPDATE SET
  tokens = ${REFILLED} - least($2::int, floor(${REFILLED})),
  granted = least($2::int, floor(${REFILLED})),
  refilled_at = greatest(b.refilled_at, now())
RETURNING granted, tokens`;

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
    private readonly emitter: EventEmitter2,
  ) {}

  /**
   * The targets of a webhook that are not deleted, active or paused: one delivery each per event
   * (a paused target's waits as `paused`).
   */
  async liveSnapshots(webhookId: string): Promise<TargetSnapshot[]> {
    const targets = await this.targets.find({
      where: { webhookId, deletedAt: IsNull() },
      relations: { webhook: true },
      withDeleted: true,
    });
    return targets.map(toSnapshot);
  }

  /** Snapshots by id, deleted targets included (as inactive); unknown ids are absent. */
  async snapshots(ids: string[]): Promise<Map<string, TargetSnapshot>> {
    if (ids.length === 0) return new Map();
    const targets = await this.targets.find({
      where: { id: In(ids) },
      relations: { webhook: true },
      withDeleted: true,
    });
    return new Map(targets.map((target) => [target.id, toSnapshot(target)]));
  }

  /**
   * Counts a batch of attempt outcomes on the target rows, whichever replica made them, and opens
   * a circuit that reached `threshold` failures in a row for `cooldownMs` from the last failure. The counting happens in
   * the UPDATE itself (on the rows locked first, in id order), so concurrent replicas never lose a
   * count. Returns the state of record of every target in the batch, and whether this batch opened
   * or closed its circuit (so each transition is seen by exactly one replica).
   */
  async recordOutcomes(
    outcomes: OutcomeSummary[],
    threshold: number,
    cooldownMs: number,
  ): Promise<RecordedHealth[]> {
    if (outcomes.length === 0) return [];
    const { rows } = await pgPool(this.dataSource).query<
      HealthRow & { webhook_id: string; failures_before: number }
    >(
      `WITH before AS (
         SELECT id, consecutive_failures FROM targets WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE
       )
       UPDATE targets t SET
         consecutive_failures = CASE WHEN o.reset THEN o.failures ELSE t.consecutive_failures + o.failures END,
         failing_since = CASE WHEN o.reset THEN o.first_failure_at ELSE coalesce(t.failing_since, o.first_failure_at) END,
         circuit_open_until = CASE
           WHEN (CASE WHEN o.reset THEN o.failures ELSE t.consecutive_failures + o.failures END) < $5 THEN NULL
           WHEN o.failures > 0 THEN o.last_failure_at + make_interval(secs => $6::float8 / 1000)
           ELSE t.circuit_open_until END
       FROM unnest($1::uuid[], $2::bool[], $3::int[], $4::timestamptz[], $7::timestamptz[])
         AS o(id, reset, failures, first_failure_at, last_failure_at), before b
       WHERE t.id = o.id AND b.id = o.id
       RETURNING t.id, t.webhook_id, t.consecutive_failures, t.circuit_open_until, t.failing_since,
                 b.consecutive_failures AS failures_before`,
      [
        outcomes.map((o) => o.targetId),
        outcomes.map((o) => o.reset),
        outcomes.map((o) => o.failures),
        outcomes.map((o) => o.firstFailureAt),
        threshold,
        cooldownMs,
        outcomes.map((o) => o.lastFailureAt),
      ],
    );
    return rows.map((row) => ({
      ...toHealth(row),
      webhookId: row.webhook_id,
      circuit:
        row.failures_before < threshold && row.consecutive_failures >= threshold
          ? 'opened'
          : row.failures_before >= threshold && row.consecutive_failures < threshold
            ? 'closed'
            : undefined,
    }));
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

  /**
   * Takes up to `want` tokens from a target's shared bucket (refilled at `perSecond`, holding at
   * most `burst`), in one statement under the row's lock, so replicas never take the same token.
   * Returns how many were granted and how many are left (a fraction of one while empty).
   */
  async takeRateTokens(
    targetId: string,
    want: number,
    limit: { perSecond: number; burst: number },
  ): Promise<{ granted: number; left: number }> {
    const { rows } = await pgPool(this.dataSource).query<{ granted: number; tokens: number }>(
      TAKE_RATE_TOKENS,
      [targetId, want, limit.perSecond, limit.burst],
    );
    return { granted: rows[0]!.granted, left: rows[0]!.tokens };
  }

  /**
   * Deactivates a target on webhooker's own decision (410 Gone, failing too long), saying why and
   * when; tells operators once (target.disabled), whichever replica decided first.
   */
  async disable(targetId: string, reason: string): Promise<void> {
    const { rows } = await pgPool(this.dataSource).query<{ webhook_id: string }>(
      `UPDATE targets SET active = false, disabled_reason = $2, disabled_at = now(), updated_at = now()
       WHERE id = $1 AND active AND deleted_at IS NULL RETURNING webhook_id`,
      [targetId, reason],
    );
    if (rows.length === 0) return;
    this.logger.warn(`Target ${targetId} disabled: ${reason}`);
    this.emitter.emit(OPERATIONAL_EVENT, {
      type: 'target.disabled',
      webhookId: rows[0]!.webhook_id,
      occurredAt: new Date(),
      data: { targetId, reason },
    } satisfies OperationalEvent);
  }
}
