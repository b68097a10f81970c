/** The retry policy, in one place. */
export const RETRY_POLICY = {
  /** Delay before the first retry. */
  initialDelayMs: 1_000,
  /** Each retry waits this many times longer than the one before. */
  multiplier: 2,
  /** Every delay is spread by ± this fraction. */
  jitter: 0.2,
  /** Failed attempts in a row that open a target's circuit (which then stays open CIRCUIT_COOLDOWN_MS). */
  circuitFailureThreshold: 5,
};

/** The delay before retry number `retry` (1 = first retry): exponential, capped, jittered. */
export function backoffDelay(
  retry: number,
  maxBackoffMs: number,
  random: () => number = Math.random,
): number {
  const base = Math.min(maxBackoffMs, RETRY_POLICY.initialDelayMs * RETRY_POLICY.multiplier ** (retry - 1));
  const spread = 1 + RETRY_POLICY.jitter * (2 * random() - 1);
  return Math.round(base * spread);
}

/**
 * Honours a `Retry-After` header (seconds or an HTTP date) within [delay, 2 × delay]: a receiver
 * may slow us down, but neither stall a delivery nor make us hammer it.
 */
export function applyRetryAfter(delayMs: number, retryAfter: string | undefined, now = Date.now()): number {
  const requested = retryAfterMs(retryAfter, now);
  if (requested === undefined) return delayMs;
  return Math.min(2 * delayMs, Math.max(delayMs, requested));
}

/** The wait a `Retry-After` header asks for (seconds or an HTTP date), in ms; undefined when absent or unreadable. */
export function retryAfterMs(retryAfter: string | undefined, now = Date.now()): number | undefined {
  if (!retryAfter) return undefined;
  const seconds = Number(retryAfter);
  const requested = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(retryAfter) - now;
  return Number.isFinite(requested) ? Math.max(0, requested) : undefined;
}
