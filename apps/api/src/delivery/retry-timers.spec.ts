import type { DeliveryTask } from './delivery-task';
import { RetryTimers } from './retry-timers';

const task = (id: string) => ({ deliveryId: id }) as DeliveryTask;

describe('RetryTimers', () => {
  it('releases tasks in due order with one timer', async () => {
    const due: string[] = [];
    const timers = new RetryTimers((t) => due.push(t.deliveryId));
    const now = Date.now();
    timers.add(now + 60, task('c'));
    timers.add(now + 20, task('a'));
    timers.add(now + 40, task('b'));
    timers.add(now + 10_000, task('later'));
    expect(timers.size).toBe(4);
    await new Promise((r) => setTimeout(r, 120));
    expect(due).toEqual(['a', 'b', 'c']);
    expect(timers.takeAll().map((t) => t.deliveryId)).toEqual(['later']);
    expect(timers.size).toBe(0);
  });
});
