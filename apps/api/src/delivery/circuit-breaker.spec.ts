import { CircuitBreaker, summarizeOutcomes } from './circuit-breaker';
import type { TargetSnapshot } from './delivery-task';

const fresh = { consecutiveFailures: 0, circuitOpenUntil: null, failingSince: null } as TargetSnapshot;
const COOLDOWN = 30_000;

describe('CircuitBreaker', () => {
  it('opens after 5 failures in a row for the cooldown, then asks for a probe', () => {
    const breaker = new CircuitBreaker(fresh, COOLDOWN);
    const t0 = Date.parse('2026-11-23T12:00:00Z');
    for (let i = 1; i <= 4; i++) {
      breaker.failure(t0);
      expect(breaker.admit(t0)).toEqual({ kind: 'attempt' });
    }
    breaker.failure(t0);
    expect(breaker.tripped).toBe(true);
    expect(breaker.failingSinceTime).toEqual(new Date(t0));
    expect(breaker.admit(t0 + 29_999)).toEqual({ kind: 'open', until: new Date(t0 + COOLDOWN) });
    expect(breaker.admit(t0 + 30_000)).toEqual({ kind: 'probe' });
  });

  it('a failed probe opens it again; a success closes it and resets the failing clock', () => {
    const breaker = new CircuitBreaker(fresh, COOLDOWN);
    const t0 = Date.parse('2026-11-23T12:00:00Z');
    for (let i = 0; i < 5; i++) breaker.failure(t0);
    breaker.failure(t0 + COOLDOWN);
    expect(breaker.admit(t0 + 59_999)).toMatchObject({ kind: 'open' });
    expect(breaker.success()).toBe(true);
    expect(breaker.tripped).toBe(false);
    expect(breaker.failingSinceTime).toBeNull();
    expect(breaker.admit(t0 + 59_999)).toEqual({ kind: 'attempt' });
    expect(breaker.success()).toBe(false);
  });

  it('starts from the state stored on the target, and follows it after a write', () => {
    const until = new Date(Date.now() + 10_000);
    const breaker = new CircuitBreaker(
      { ...fresh, consecutiveFailures: 7, circuitOpenUntil: until },
      COOLDOWN,
    );
    expect(breaker.admit()).toEqual({ kind: 'open', until });
    breaker.sync({ targetId: 't', consecutiveFailures: 0, circuitOpenUntil: null, failingSince: null });
    expect(breaker.admit()).toEqual({ kind: 'attempt' });
  });
});

describe('CircuitBreaker.sync', () => {
  it('counts the outcomes still on their way to the row over the state it takes', () => {
    const breaker = new CircuitBreaker(fresh, COOLDOWN);
    const t0 = Date.parse('2026-11-23T12:00:00Z');
    const outcomes = Array.from({ length: 5 }, () => ({ targetId: 't', ok: false, at: new Date(t0) }));
    for (const outcome of outcomes) {
      breaker.failure(t0);
      breaker.pending(outcome);
    }
    // The write of the first three returns while the last two wait for the next one.
    outcomes.slice(0, 3).forEach((outcome) => breaker.settled(outcome));
    breaker.sync({
      targetId: 't',
      consecutiveFailures: 3,
      circuitOpenUntil: null,
      failingSince: new Date(t0),
    });
    expect(breaker.tripped).toBe(true);
    expect(breaker.admit(t0 + 1)).toEqual({ kind: 'open', until: new Date(t0 + COOLDOWN) });

    // Once they are on the row too, the row's state is all there is.
    outcomes.slice(3).forEach((outcome) => breaker.settled(outcome));
    breaker.sync({ targetId: 't', consecutiveFailures: 0, circuitOpenUntil: null, failingSince: null });
    expect(breaker.tripped).toBe(false);
  });

  it('replays a pending success after the failures the row holds', () => {
    const breaker = new CircuitBreaker(fresh, COOLDOWN);
    const success = { targetId: 't', ok: true, at: new Date() };
    breaker.success();
    breaker.pending(success);
    breaker.sync({
      targetId: 't',
      consecutiveFailures: 5,
      circuitOpenUntil: new Date(Date.now() + COOLDOWN),
      failingSince: new Date(),
    });
    expect(breaker.admit()).toEqual({ kind: 'attempt' });
  });
});

describe('summarizeOutcomes', () => {
  it('folds outcomes per target in order: a success resets, failures after it count', () => {
    const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
    expect(
      summarizeOutcomes([
        { targetId: 'b', ok: false, at: at(1) },
        { targetId: 'a', ok: false, at: at(2) },
        { targetId: 'a', ok: true, at: at(3) },
        { targetId: 'a', ok: false, at: at(4) },
        { targetId: 'a', ok: false, at: at(5) },
        { targetId: 'b', ok: false, at: at(6) },
      ]),
    ).toEqual([
      { targetId: 'a', reset: true, failures: 2, firstFailureAt: at(4), lastFailureAt: at(5) },
      { targetId: 'b', reset: false, failures: 2, firstFailureAt: at(1), lastFailureAt: at(6) },
    ]);
  });
});
