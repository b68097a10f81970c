import type { EventSnapshot, TargetSnapshot } from './delivery-task';
import { eventBytes } from './delivery-task';
import { HeldBudget, TASKS_PER_CONCURRENCY } from './held-budget';

const target = (id: string, ownerId: string, concurrency = 8) =>
  ({ id, ownerId, http: { concurrency } }) as TargetSnapshot;

const event = (id: string, bodyBytes = 100) =>
  ({ id, headers: {}, body: Buffer.alloc(bodyBytes) }) as unknown as EventSnapshot;

let deliveries = 0;

/** Holds deliveries of `target` for fresh events while there is room, `tries` at most; returns how many were held. */
function fill(budget: HeldBudget, of: TargetSnapshot, tries: number, bodyBytes = 100): number {
  let held = 0;
  for (let n = 0; n < tries; n++) {
    const e = event(`e${deliveries}`, bodyBytes);
    if (!budget.hasRoomFor(of, e)) break;
    budget.hold(`d${deliveries++}`, of, e);
    held++;
  }
  return held;
}

describe('HeldBudget', () => {
  const limits = { maxDeliveries: 1_600, maxBytes: 1 << 30, ownerFloor: 64 };

  it("bounds one owner's many targets by the owner's share, not by their concurrency", () => {
    const budget = new HeldBudget(limits);
    // 400 targets of concurrency 8 would hold 3 200 if each could always fill its concurrency
    for (let n = 0; n < 400; n++) fill(budget, target(`t${n}`, 'many'), 8);
    // MAX_QUEUED_TASKS less the reserve of a sixteenth for an owner yet to come
    expect(budget.size).toBe(1_500);
  });

  it('leaves another owner room while one owner holds its share, and halves that share', () => {
    const budget = new HeldBudget(limits);
    for (let n = 0; n < 400; n++) fill(budget, target(`t${n}`, 'many'), 8);
    const other = target('other', 'other', 4);
    // the reserve: its share is half the budget, but only what is left of the whole may be held
    expect(fill(budget, other, 1_000)).toBe(100);
    expect(budget.size).toBe(limits.maxDeliveries);
    // the first owner now holds more than its new share: it gets nothing more
    expect(fill(budget, target('t0', 'many'), 8)).toBe(0);
    expect(fill(budget, target('fresh', 'many'), 8)).toBe(0);
  });

  it('lets an owner always hold its floor for targets below their concurrency, whatever the others hold', () => {
    const budget = new HeldBudget({ ...limits, maxDeliveries: 100 });
    for (let n = 0; n < 20; n++) fill(budget, target(`t${n}`, 'hog'), 8);
    expect(budget.size).toBeLessThanOrEqual(100);
    const newcomers = Array.from({ length: 20 }, (_, n) => target(`n${n}`, 'newcomer', 8));
    const held = newcomers.reduce((sum, t) => sum + fill(budget, t, 8), 0);
    // eight targets' concurrency fill the floor of 64; beyond it the budget is full
    expect(held).toBe(64);
  });

  it('keeps room within an owner for its next target', () => {
    const budget = new HeldBudget(limits);
    const first = target('first', 'owner', 256);
    expect(fill(budget, first, 10_000)).toBe(750);
    const second = target('second', 'owner', 256);
    expect(fill(budget, second, 10_000)).toBe(500);
  });

  it('caps a target at TASKS_PER_CONCURRENCY per unit of concurrency', () => {
    const budget = new HeldBudget(limits);
    expect(fill(budget, target('small', 'owner', 2), 1_000)).toBe(TASKS_PER_CONCURRENCY * 2);
  });

  it("bounds an owner's distinct events by its share of the bytes, each event once for all its targets", () => {
    const maxBytes = 16 * 1024 * 1024;
    const budget = new HeldBudget({ maxDeliveries: 100_000, maxBytes, ownerFloor: 4 });
    const targets = Array.from({ length: 4 }, (_, n) => target(`t${n}`, 'owner', 256));
    const weight = eventBytes(event('probe', 10_000));
    let events = 0;
    for (;;) {
      const e = event(`fan${events}`, 10_000);
      const takers = targets.filter((t) => budget.hasRoomFor(t, e));
      if (takers.length === 0) break;
      takers.forEach((t, n) => budget.hold(`fan${events}-${n}`, t, e));
      events++;
    }
    // each target's share is a fifth of the owner's bytes; the event is counted once in the total
    const ownerBytes = maxBytes - maxBytes / 16;
    expect(events).toBe(Math.floor(ownerBytes / 5 / weight));
    expect(budget.bytes).toBe(events * weight);
    expect(budget.size).toBe(events * 4);
  });

  it('forgets everything released, and says when a backlogged target has drained to half', () => {
    const budget = new HeldBudget({ ...limits, maxDeliveries: 100, ownerFloor: 4 });
    const slow = target('slow', 'owner', 4);
    const first = deliveries;
    const held = fill(budget, slow, 1_000);
    // (100 - 6) / 2 = 47 for its share, with room kept for the owner's next target
    expect(held).toBe(47);
    const backlogged = new Set(['slow']);
    const refills: boolean[] = [];
    for (let n = first; n < first + held; n++) refills.push(budget.release(`d${n}`, backlogged)!.refill);
    // the 24th release leaves 23, half of 47
    expect(refills.indexOf(true)).toBe(23);
    expect(budget.size).toBe(0);
    expect(budget.bytes).toBe(0);
    expect(budget.holdsTarget('slow')).toBe(false);
    expect(budget.release('d0', backlogged)).toBeUndefined();
    expect(budget.claimRooms().ownerIds).toEqual([]);
  });

  it('offers a claim the rooms its own checks would give', () => {
    const budget = new HeldBudget({ maxDeliveries: 1_600, maxBytes: 1 << 30, ownerFloor: 64 });
    fill(budget, target('a', 'owner', 64), 100);
    const rooms = budget.claimRooms();
    expect(rooms.targetIds).toEqual(['a']);
    // the owner's share 1 500, the target's half of it, less the 100 held
    expect(rooms.targetRooms).toEqual([650]);
    expect(rooms.ownerIds).toEqual(['owner']);
    expect(rooms.ownerRooms).toEqual([1_400]);
    expect(rooms.newTargetShares).toEqual([500]);
    // an owner not held yet: half of the budget less the reserve
    expect(rooms.newOwnerRoom).toBe(750);
    expect(rooms.newOwnerTargetShare).toBe(375);
    expect(fill(budget, target('b', 'owner', 64), 10_000)).toBe(500);
  });

  it("lets a claim fill only owners' floors once the budgets are full", () => {
    const budget = new HeldBudget({ maxDeliveries: 100, maxBytes: 1 << 30, ownerFloor: 16 });
    for (let n = 0; n < 20; n++) fill(budget, target(`hog${n}`, 'hog', 8), 8);
    fill(budget, target('small', 'small', 2), 8);
    expect(budget.size).toBe(100);
    const rooms = budget.claimRooms();
    expect(budget.claimCapacity()).toBe(16);
    expect(rooms.ownerIds).toEqual(['hog', 'small']);
    // the hog is over its floor; the small owner holds 6 (2 by its floor, 4 the budget had left) of its 16
    expect(rooms.ownerRooms).toEqual([0, 10]);
    expect(rooms.newOwnerRoom).toBe(16);
  });
});
