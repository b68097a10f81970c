import { IngestBudget } from './ingest-budget';

describe('IngestBudget', () => {
  it('admits events up to the bound on events, half of it for one owner', () => {
    const budget = new IngestBudget(4, 1_000);
    expect(budget.admit('a', 0)).toBeNull();
    expect(budget.admit('a', 0)).toBeNull();
    expect(budget.admit('a', 0)).toBe('owner');
    expect(budget.admit('b', 0)).toBeNull();
    expect(budget.admit('b', 0)).toBeNull();
    expect(budget.admit('c', 0)).toBe('total');
    budget.release('a', 0);
    expect(budget.admit('c', 0)).toBeNull();
    expect(budget.held).toEqual({ events: 4, bytes: 0, owners: 3 });
    expect(budget.heldBy('a')).toEqual({ events: 1, bytes: 0 });
  });

  it('admits announced and streamed bytes up to the bound on bytes, and takes nothing when refusing', () => {
    const budget = new IngestBudget(10, 1_000);
    expect(budget.admit('a', 400)).toBeNull();
    expect(budget.admit('a', 200)).toBe('owner');
    expect(budget.admit('b', 700)).toBe('total');
    expect(budget.admit('b', 0)).toBeNull();
    expect(budget.grow('b', 600)).toBeNull();
    expect(budget.grow('b', 1)).toBe('total');
    expect(budget.held).toEqual({ events: 2, bytes: 1_000, owners: 2 });
    budget.release('a', 400);
    budget.release('b', 600);
    expect(budget.held).toEqual({ events: 0, bytes: 0, owners: 0 });
    expect(budget.heldBy('a')).toEqual({ events: 0, bytes: 0 });
  });

  it("bounds an owner's first event only by the totals, so an event of the whole bound fits", () => {
    const budget = new IngestBudget(10, 1_000);
    expect(budget.admit('a', 1_000)).toBeNull();
    budget.release('a', 1_000);
    expect(budget.admit('a', 0)).toBeNull();
    expect(budget.grow('a', 900)).toBeNull();
    expect(budget.admit('a', 0)).toBe('owner');
  });

  it('holds an owner with several events in flight to its share of streamed bytes', () => {
    const budget = new IngestBudget(10, 1_000);
    expect(budget.admit('a', 0)).toBeNull();
    expect(budget.admit('a', 0)).toBeNull();
    expect(budget.grow('a', 500)).toBeNull();
    expect(budget.grow('a', 1)).toBe('owner');
    expect(budget.heldBy('a')).toEqual({ events: 2, bytes: 500 });
  });

  it('shares the bounds equally among the owners holding events', () => {
    const budget = new IngestBudget(12, 1_200);
    for (const owner of ['a', 'b', 'c']) expect(budget.admit(owner, 100)).toBeNull();
    expect(budget.admit('a', 100)).toBeNull();
    expect(budget.admit('a', 200)).toBeNull();
    // a third of 1 200 bytes each: a holds 400
    expect(budget.admit('a', 1)).toBe('owner');
    expect(budget.admit('b', 300)).toBeNull();
    budget.release('c', 100);
    // c is gone: half each again
    expect(budget.admit('a', 200)).toBeNull();
    expect(budget.admit('a', 1)).toBe('owner');
  });

  it('counts an owner refused because the totals were full among the owners sharing them, for a while', () => {
    const budget = new IngestBudget(4, 1_000);
    for (const owner of ['a', 'a', 'b', 'b']) expect(budget.admit(owner, 0, 0)).toBeNull();
    expect(budget.admit('c', 0, 0)).toBe('total');
    budget.release('a', 0);
    // a third of the 4 events each now: a, holding one, may not take the room back; c may
    expect(budget.admit('a', 0, 500)).toBe('owner');
    expect(budget.admit('c', 0, 1_000)).toBeNull();
    budget.release('c', 0);
    budget.release('b', 0);
    // c is no longer refused, nor holding: half each again
    expect(budget.admit('a', 0, 1_500)).toBeNull();
  });

  it('forgets a refused owner that did not come back', () => {
    const budget = new IngestBudget(4, 1_000);
    for (const owner of ['a', 'a', 'b', 'b']) expect(budget.admit(owner, 0, 0)).toBeNull();
    expect(budget.admit('c', 0, 0)).toBe('total');
    budget.release('a', 0);
    expect(budget.admit('a', 0, 2_001)).toBeNull();
  });
});
