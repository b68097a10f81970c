import type { DeliveryTask } from './delivery-task';
import { LaneDispatcher } from './lane-dispatcher';

function task(targetId: string, n: number): DeliveryTask {
  return { deliveryId: `${targetId}-${n}`, target: { id: targetId } } as DeliveryTask;
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('LaneDispatcher', () => {
  it('runs at most the global limit at once and at most the lane limit per target', async () => {
    const gates = new Map<string, ReturnType<typeof deferred>>();
    const started: string[] = [];
    const dispatcher = new LaneDispatcher(
      3,
      (targetId) => (targetId === 'serial' ? 1 : 8),
      (t) => {
        started.push(t.deliveryId);
        const gate = deferred();
        gates.set(t.deliveryId, gate);
        return gate.promise;
      },
    );
    for (let n = 0; n < 3; n++) dispatcher.push(task('serial', n));
    for (let n = 0; n < 3; n++) dispatcher.push(task('wide', n));
    expect(started).toEqual(['serial-0', 'wide-0', 'wide-1']);
    expect(dispatcher.inFlight).toBe(3);
    expect(dispatcher.queued).toBe(3);

    gates.get('serial-0')!.resolve();
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual(['serial-0', 'wide-0', 'wide-1', 'wide-2']);
    gates.get('wide-0')!.resolve();
    await new Promise((r) => setImmediate(r));
    expect(started.slice(4)).toEqual(['serial-1']);
  });

  it('lets lanes take turns, so a busy target does not starve another', async () => {
    const order: string[] = [];
    const dispatcher = new LaneDispatcher(
      1,
      () => 8,
      async (t) => void order.push(t.deliveryId),
    );
    for (let n = 0; n < 3; n++) dispatcher.push(task('busy', n));
    dispatcher.push(task('quiet', 0));
    await dispatcher.whenIdle();
    await new Promise((r) => setImmediate(r));
    expect(order.indexOf('quiet-0')).toBeLessThan(order.indexOf('busy-2'));
    expect(order).toHaveLength(4);
  });

  it('hands back the waiting tasks of a target', () => {
    const dispatcher = new LaneDispatcher(
      1,
      () => 1,
      () => new Promise(() => undefined),
    );
    for (let n = 0; n < 4; n++) dispatcher.push(task('t', n));
    expect(dispatcher.takeWaiting('t').map((t) => t.deliveryId)).toEqual(['t-1', 't-2', 't-3']);
    expect(dispatcher.queued).toBe(0);
    expect(dispatcher.inFlight).toBe(1);
  });
});
