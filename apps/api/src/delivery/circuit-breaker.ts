import type { TargetSnapshot } from './delivery-task';
import { RETRY_POLICY } from './retry-policy';

/** A target's health as stored on its row, so replicas, restarts and the dashboard see it. */
export interface TargetHealth {
  targetId: string;
  consecutiveFailures: number;
  circuitOpenUntil: Date | null;
  failingSince: Date | null;
}

/** The result of one attempt, as the breaker counts it. */
export interface TargetOutcome {
  targetId: string;
  ok: boolean;
  at: Date;
}

/**
 * `attempt`: closed, go ahead. `open`: no attempt until `until`. `probe`: the cooldown is over and
 * one probe may go, but only by the replica that claims it on the target row (one per cooldown,
 * cluster-wide).
 */
export type Admission = { kind: 'attempt' } | { kind: 'probe' } | { kind: 'open'; until: Date };

/**
 * This replica's view of the circuit breaker of one `http` target with retries. The state of
 * record is the target row (every replica's outcomes are counted there, see TargetHealthService);
 * this view follows it after each write (`sync`) and reacts to local outcomes at once in between.
 * 5 failures in a row open the circuit for the cooldown; then one probe is let through; a success
 * closes it.
 */
export class CircuitBreaker {
  private consecutiveFailures: number;
  private openUntil: Date | null;
  private failingSince: Date | null;
  /** Outcomes handed to the row's writer and not on the row yet, in order (see `sync`). */
  private readonly unwritten = new Set<TargetOutcome>();

  constructor(
    target: TargetSnapshot,
    private readonly cooldownMs: number,
  ) {
    this.consecutiveFailures = target.consecutiveFailures;
    this.openUntil = target.circuitOpenUntil;
    this.failingSince = target.failingSince;
  }

  /** Open or half-open: attempts go one at a time. */
  get tripped(): boolean {
    return this.consecutiveFailures >= RETRY_POLICY.circuitFailureThreshold;
  }

  get failingSinceTime(): Date | null {
    return this.failingSince;
  }

  admit(now = Date.now()): Admission {
    if (!this.tripped) return { kind: 'attempt' };
    if (this.openUntil && this.openUntil.getTime() > now) return { kind: 'open', until: this.openUntil };
    return { kind: 'probe' };
  }

  /** Counts a success; returns whether this view had failures to clear (the row should hear of it). */
  success(): boolean {
    const changed = this.consecutiveFailures > 0 || this.openUntil !== null || this.failingSince !== null;
    this.consecutiveFailures = 0;
    this.openUntil = null;
    this.failingSince = null;
    return changed;
  }

  /** Counts a failure; opens the circuit at the threshold (and again after a failed probe). */
  failure(now = Date.now()): void {
    this.consecutiveFailures++;
    this.failingSince ??= new Date(now);
    if (this.tripped) this.openUntil = new Date(now + this.cooldownMs);
  }

  /** An outcome this view counted was handed to the row's writer. */
  pending(outcome: TargetOutcome): void {
    this.unwritten.add(outcome);
  }

  /** A pending outcome is on the row now (or its write failed): `sync` no longer adds it. */
  settled(outcome: TargetOutcome): void {
    this.unwritten.delete(outcome);
  }

  /**
   * Takes the state of record, as the target row holds it, and counts over it the outcomes still on
   * their way there: a write that returns while later failures wait for the next one must not
   * lower the count this view reached (the circuit would let a sixth attempt through).
   */
  sync(health: TargetHealth): void {
    this.consecutiveFailures = health.consecutiveFailures;
    this.openUntil = health.circuitOpenUntil;
    this.failingSince = health.failingSince;
    for (const outcome of this.unwritten) {
      if (outcome.ok) this.success();
      else this.failure(outcome.at.getTime());
    }
  }
}

/**
 * Outcomes of a batch folded per target, in order: `reset` when a success came (the failures
 * before it no longer count), then the failures after the last success, when the first was and
 * when the last was (a circuit they open is open for the cooldown from then, as the replica that
 * saw them has it).
 */
export interface OutcomeSummary {
  targetId: string;
  reset: boolean;
  failures: number;
  firstFailureAt: Date | null;
  lastFailureAt: Date | null;
}

export function summarizeOutcomes(outcomes: TargetOutcome[]): OutcomeSummary[] {
  const summaries = new Map<string, OutcomeSummary>();
  for (const outcome of outcomes) {
    let summary = summaries.get(outcome.targetId);
    if (!summary) {
      summary = {
        targetId: outcome.targetId,
        reset: false,
        failures: 0,
        firstFailureAt: null,
        lastFailureAt: null,
      };
      summaries.set(outcome.targetId, summary);
    }
    if (outcome.ok) {
      summary.reset = true;
      summary.failures = 0;
      summary.firstFailureAt = null;
      summary.lastFailureAt = null;
    } else {
      summary.failures++;
      summary.firstFailureAt ??= outcome.at;
      summary.lastFailureAt = outcome.at;
    }
  }
  return [...summaries.values()].sort((a, b) => a.targetId.localeCompare(b.targetId));
}
