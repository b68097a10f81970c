import type { RateLimit } from '../targets/target.entity';

/** A replica takes this many seconds' worth of a target's rate from the shared bucket at once. */
const TOKENS_PER_TAKE_SECONDS = 0.2;
/** An empty bucket is asked again after the next token is due, but never sooner than this. */
const MIN_WAIT_MS = 10;
/** While a receiver's 429 window lasts, a target without a rate limit gets one attempt per this. */
const THROTTLED_SPACING_MS = 1_000;

/** Where the tokens come from: the target's bucket shared by every replica (TargetHealthService). */
export type TakeTokens = (
  targetId: string,
  want: number,
  limit: RateLimit,
) => Promise<{ granted: number; left: number }>;

interface TargetState {
  tokens: number;
  taking: boolean;
  /** Not before this may the bucket be asked again (it was empty). */
  askAfter: number;
  /** A 429 asked us to slow down until then. */
  throttledUntil: number;
  /** While throttled: the next attempt may start at this time. */
  nextAttemptAt: number;
  timer?: NodeJS.Timeout;
}

/**
 * Per-target rate limits on top of `concurrency`: an attempt starts only with a token, taken in
 * small batches from the target's bucket shared by every replica, so the aggregate rate across
 * replicas stays at the limit. A `429` lowers the rate for its window: half the limit, or one
 * attempt a second for a target without one. Work over the limit waits in its lane (no retry is
 * spent); the lane is woken when it may go on.
 */
export class RateLimiter {
  private readonly states = new Map<string, TargetState>();

  constructor(
    private readonly take: TakeTokens,
    private readonly wake: (targetId: string) => void,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Whether an attempt to the target may start now; if not, its lane is woken when it may. */
  admit(targetId: string, limit: RateLimit | null, now = Date.now()): boolean {
    const state = this.states.get(targetId);
    const throttled = state !== undefined && now < state.throttledUntil;
    if (!limit && !throttled) return true;
    const s = state ?? this.stateOf(targetId);
    if (throttled && now < s.nextAttemptAt) {
      this.wakeAt(targetId, s, s.nextAttemptAt);
      return false;
    }
    if (limit) {
      if (s.tokens < 1) {
        this.refill(targetId, s, limit, now);
        return false;
      }
      s.tokens--;
    }
    if (throttled) {
      s.nextAttemptAt = now + (limit ? 2000 / limit.perSecond : THROTTLED_SPACING_MS);
    }
    return true;
  }

  /** The receiver answered 429: slow down until `until`. */
  throttle(targetId: string, until: number): void {
    const s = this.stateOf(targetId);
    s.throttledUntil = Math.max(s.throttledUntil, until);
  }

  /** Forgets a target (deactivated, deleted): its local tokens are dropped. */
  forget(targetId: string): void {
    const state = this.states.get(targetId);
    if (state) clearTimeout(state.timer);
    this.states.delete(targetId);
  }

  private stateOf(targetId: string): TargetState {
    let state = this.states.get(targetId);
    if (!state) {
      state = { tokens: 0, taking: false, askAfter: 0, throttledUntil: 0, nextAttemptAt: 0 };
      this.states.set(targetId, state);
    }
    return state;
  }

  private refill(targetId: string, s: TargetState, limit: RateLimit, now: number): void {
    if (s.taking) return;
    if (now < s.askAfter) {
      this.wakeAt(targetId, s, s.askAfter);
      return;
    }
    s.taking = true;
    const want = Math.max(1, Math.min(limit.burst, Math.ceil(limit.perSecond * TOKENS_PER_TAKE_SECONDS)));
    // `taking` is cleared before the lane is woken: a lane that is still short of a token when it
    // runs must be able to ask again, or nothing would wake it.
    this.take(targetId, want, limit)
      .then(
        ({ granted, left }) => {
          s.taking = false;
          s.tokens += granted;
          if (s.tokens >= 1) return this.wake(targetId);
          const due = Date.now() + Math.max(MIN_WAIT_MS, ((1 - left) / limit.perSecond) * 1000);
          s.askAfter = due;
          this.wakeAt(targetId, s, due);
        },
        (error) => {
          s.taking = false;
          this.onError(error);
          s.askAfter = Date.now() + THROTTLED_SPACING_MS;
          this.wakeAt(targetId, s, s.askAfter);
        },
      )
      .catch((error) => this.onError(error));
  }

  private wakeAt(targetId: string, s: TargetState, at: number): void {
    if (s.timer) return;
    s.timer = setTimeout(
      () => {
        s.timer = undefined;
        this.wake(targetId);
      },
      Math.max(0, at - Date.now()),
    );
  }
}
