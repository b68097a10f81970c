import type { TargetSnapshot } from './delivery-task';
import { RETRY_POLICY } from './retry-policy';

/** A target's health as stored on its row, so replicas, restarts and the dashboard see it. */
export interface TargetHealth {
  targetId: string;
  consecutiveFailures: number;
  circuitOpenUntil: Date | null;
  failingSince: Date | null;
}

export type Admission = { kind: 'attempt' } | { kind: 'open'; until: Date };

/**
 * The circuit breaker of one `http` target with retries: 5 failures in a row open it; while open
 * no attempt is made; after the 30 s cooldown it is half-open and lets one probe through at a
 * time (the target's lane limit drops to 1); a success closes it.
 */
export class CircuitBreaker {
  private consecutiveFailures: number;
  private openUntil: Date | null;
  private failingSince: Date | null;

  constructor(target: TargetSnapshot) {
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
    if (this.tripped && this.openUntil && this.openUntil.getTime() > now) {
      return { kind: 'open', until: this.openUntil };
    }
    return { kind: 'attempt' };
  }

  /** Records a success; returns the new health when it changed. */
  success(targetId: string): TargetHealth | undefined {
    if (this.consecutiveFailures === 0 && this.openUntil === null && this.failingSince === null)
      return undefined;
    this.consecutiveFailures = 0;
    this.openUntil = null;
    this.failingSince = null;
    return this.health(targetId);
  }

  /** Records a failure; opens the circuit at the threshold (and again after a failed probe). */
  failure(targetId: string, now = Date.now()): TargetHealth {
    this.consecutiveFailures++;
    this.failingSince ??= new Date(now);
    if (this.tripped) this.openUntil = new Date(now + RETRY_POLICY.circuitCooldownMs);
    return this.health(targetId);
  }

  private health(targetId: string): TargetHealth {
    return {
      targetId,
      consecutiveFailures: this.consecutiveFailures,
      circuitOpenUntil: this.openUntil,
      failingSince: this.failingSince,
    };
  }
}
