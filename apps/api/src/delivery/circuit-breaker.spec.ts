import { CircuitBreaker } from './circuit-breaker';
import type { TargetSnapshot } from './delivery-task';

const fresh = { consecutiveFailures: 0, circuitOpenUntil: null, failingSince: null } as TargetSnapshot;

describe('CircuitBreaker', () => {
  it('opens after 5 failures in a row for the 30 s cooldown, then lets a probe through', () => {
    const breaker = new CircuitBreaker(fresh);
    const t0 = Date.parse('2026-11-23T12:00:00Z');
    for (let i = 1; i <= 4; i++) {
      breaker.failure('t', t0);
      expect(breaker.admit(t0)).toEqual({ kind: 'attempt' });
    }
    const health = breaker.failure('t', t0);
    expect(health).toEqual({
      targetId: 't',
      consecutiveFailures: 5,
      circuitOpenUntil: new Date(t0 + 30_000),
      failingSince: new Date(t0),
    });
    expect(breaker.tripped).toBe(true);
    expect(breaker.admit(t0 + 29_999)).toEqual({ kind: 'open', until: new Date(t0 + 30_000) });
    expect(breaker.admit(t0 + 30_000)).toEqual({ kind: 'attempt' });
  });

  it('a failed probe opens it again; a success closes it and resets the failing clock', () => {
    const breaker = new CircuitBreaker(fresh);
    const t0 = Date.parse('2026-11-23T12:00:00Z');
    for (let i = 0; i < 5; i++) breaker.failure('t', t0);
    breaker.failure('t', t0 + 30_000);
    expect(breaker.admit(t0 + 59_999)).toMatchObject({ kind: 'open' });
    expect(breaker.success('t')).toEqual({
      targetId: 't',
      consecutiveFailures: 0,
      circuitOpenUntil: null,
      failingSince: null,
    });
    expect(breaker.tripped).toBe(false);
    expect(breaker.success('t')).toBeUndefined();
  });

  it('starts from the state stored on the target', () => {
    const until = new Date(Date.now() + 10_000);
    const breaker = new CircuitBreaker({ ...fresh, consecutiveFailures: 7, circuitOpenUntil: until });
    expect(breaker.admit()).toEqual({ kind: 'open', until });
  });
});
