import { IngestBudget } from './ingest-budget';

describe('IngestBudget', () => {
  it('admits events up to the bound on events', () => {
    const budget = new IngestBudget(2, 1_000);
    expect(budget.admit(0)).toBe(true);
    expect(budget.admit(0)).toBe(true);
    expect(budget.admit(0)).toBe(false);
    budget.release(0);
    expect(budget.admit(0)).toBe(true);
    expect(budget.held).toEqual({ events: 2, bytes: 0 });
  });

  it('admits announced and streamed bytes up to the bound on bytes, and takes nothing when refusing', () => {
    const budget = new IngestBudget(10, 1_000);
    expect(budget.admit(600)).toBe(true);
    expect(budget.admit(500)).toBe(false);
    expect(budget.admit(0)).toBe(true);
    expect(budget.grow(400)).toBe(true);
    expect(budget.grow(1)).toBe(false);
    expect(budget.held).toEqual({ events: 2, bytes: 1_000 });
    budget.release(600);
    budget.release(400);
    expect(budget.held).toEqual({ events: 0, bytes: 0 });
  });
});
