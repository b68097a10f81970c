import type { DeliveryTask } from './delivery-task';
import { LaneDispatcher } from './lane-dispatcher';

function task(targetId: string, n: number, ownerId = 'owner'): DeliveryTask {
  return { deliveryId: `${targetId}-${n}`, target: { id: targetId, ownerId } } as DeliveryTask;
}

/** A dispatcher whose tasks run until released by id. */
function gated(globalLimit: number, laneLimit: number, ownerLimit: (owners: number) => number) {
  const gates = new Map<string, () => void>();
  const started: string[] = [];
  const dispatcher: LaneDispatcher = new LaneDispatcher(
    globalLimit,
    () => laneLimit,
    (t) => {
      started.push(t.deliveryId);
      return new Promise<void>((resolve) => gates.set(t.deliveryId, resolve));
    },
    () => true,
    () => ownerLimit(dispatcher.ownersWithWork),
  );
  const finish = async (deliveryId: string) => {
    gates.get(deliveryId)!();
    await new Promise((r) => setImmediate(r));
  };
  return { dispatcher, started, finish };
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

  it("holds one owner's targets together to the owner's limit, so another owner's lane still runs", async () => {
    const { dispatcher, started, finish } = gated(10, 8, () => 3);
    for (const target of ['a1', 'a2', 'a3', 'a4']) dispatcher.push(task(target, 0, 'hostile'));
    for (const target of ['a1', 'a2']) dispatcher.push(task(target, 1, 'hostile'));
    expect(started).toEqual(['a1-0', 'a2-0', 'a3-0']);
    dispatcher.push(task('b', 0, 'friendly'));
    dispatcher.push(task('b', 1, 'friendly'));
    expect(started.slice(3)).toEqual(['b-0', 'b-1']);
    expect(dispatcher.inFlight).toBe(5);
    expect(dispatcher.ownersWithWork).toBe(2);
    expect(dispatcher.lanesWithWorkOf('hostile')).toBe(4);

    // one of the owner's attempts ends: its parked lanes take their turns, one more starts
    await finish('a2-0');
    expect(started.slice(5)).toEqual(['a4-0']);
    await finish('a1-0');
    expect(started.slice(6)).toEqual(['a1-1']);
  });

  it("raises an owner's limit when another owner's work ends, and forgets a drained parked lane", async () => {
    const { dispatcher, started, finish } = gated(10, 8, (owners) => Math.floor(4 / Math.max(1, owners)));
    dispatcher.push(task('b', 0, 'other'));
    for (let n = 0; n < 4; n++) dispatcher.push(task('a', n, 'one'));
    dispatcher.push(task('c', 0, 'one'));
    expect(started).toEqual(['b-0', 'a-0', 'a-1']);
    await finish('b-0');
    // alone now: up to 4 for the owner
    expect(started.slice(3)).toEqual(['a-2', 'c-0']);
    dispatcher.push(task('d', 0, 'one'));
    expect(dispatcher.takeWaiting('d').map((t) => t.deliveryId)).toEqual(['d-0']);
    expect(dispatcher.lanesWithWorkOf('one')).toBe(2);
    for (const id of ['a-0', 'a-1', 'a-2', 'c-0']) await finish(id);
    await finish('a-3');
    expect(started.slice(5)).toEqual(['a-3']);
    expect(dispatcher.ownersWithWork).toBe(0);
    expect(dispatcher.inFlight).toBe(0);
  });

  it("wakes an owner's parked lanes in the order they were parked, so none starves behind the lanes that just finished", async () => {
    const { dispatcher, started, finish } = gated(10, 1, () => 3);
    for (let lane = 0; lane < 6; lane++) for (let n = 0; n < 3; n++) dispatcher.push(task(`t${lane}`, n));
    expect(started).toEqual(['t0-0', 't1-0', 't2-0']);
    for (let i = 0; i < 12; i++) await finish(started[i]!);
    const targets = (ids: string[]) => new Set(ids.map((id) => id.split('-')[0]));
    expect(targets(started.slice(0, 6)).size).toBe(6);
    expect(targets(started.slice(6, 12)).size).toBe(6);
    expect(started).toHaveLength(15);
  });
});
