import type { DeliveryTask } from './delivery-task';

/** The lanes of one owner's targets (a webhook's owner: a tenant), and the attempts they run. */
class Owner {
  running = 0;
  lanes = 0;
  /** Lanes with work that had to wait because the owner ran as many attempts as it may. */
  parked: Lane[] = [];

  constructor(readonly id: string) {}
}

class Lane {
  inFlight = 0;
  ready = false;
  parked = false;
  private tasks: DeliveryTask[] = [];
  private head = 0;

  constructor(
    readonly targetId: string,
    readonly owner: Owner,
  ) {}

  get queued(): number {
    return this.tasks.length - this.head;
  }

  push(task: DeliveryTask): void {
    this.tasks.push(task);
  }

  shift(): DeliveryTask | undefined {
    if (this.head >= this.tasks.length) return undefined;
    const task = this.tasks[this.head]!;
    this.tasks[this.head++] = undefined as unknown as DeliveryTask;
    if (this.head > 1024 && this.head * 2 > this.tasks.length) {
      this.tasks = this.tasks.slice(this.head);
      this.head = 0;
    }
    return task;
  }

  drain(): DeliveryTask[] {
    const rest = this.tasks.slice(this.head);
    this.tasks = [];
    this.head = 0;
    return rest;
  }
}

/**
 * The worker pool: at most `globalLimit` tasks run at once (DELIVERY_CONCURRENCY), at most
 * `ownerLimit()` for the targets of one owner, and at most `laneLimit(target, owner)` per
 * target, so neither one slow target nor one user's many targets can take every slot. Waiting
 * tasks sit in one FIFO lane per target; lanes with work take turns (round robin). A lane whose
 * target may not start now (`admit`: its rate limit) waits until `wake` is called for it; a lane
 * whose owner is at its limit waits until one of the owner's attempts ends, or an owner's work
 * ends (limits are shares, so they may rise).
 */
export class LaneDispatcher {
  private readonly lanes = new Map<string, Lane>();
  private readonly owners = new Map<string, Owner>();
  private readonly ready: Lane[] = [];
  private readyHead = 0;
  private running = 0;
  private waiting = 0;
  private idle: (() => void)[] = [];

  constructor(
    private readonly globalLimit: number,
    private readonly laneLimit: (targetId: string, ownerId: string) => number,
    private readonly run: (task: DeliveryTask) => Promise<void>,
    private readonly admit: (targetId: string) => boolean = () => true,
    private readonly ownerLimit: () => number = () => Infinity,
  ) {}

  /** Tasks waiting in lanes (not running). */
  get queued(): number {
    return this.waiting;
  }

  get inFlight(): number {
    return this.running;
  }

  /** Owners with tasks waiting or running. */
  get ownersWithWork(): number {
    return this.owners.size;
  }

  /** Targets of the owner with tasks waiting or running. */
  lanesWithWorkOf(ownerId: string): number {
    return this.owners.get(ownerId)?.lanes ?? 0;
  }

  push(task: DeliveryTask): void {
    let lane = this.lanes.get(task.target.id);
    if (!lane) {
      const ownerId = task.target.ownerId;
      let owner = this.owners.get(ownerId);
      if (!owner) {
        owner = new Owner(ownerId);
        this.owners.set(ownerId, owner);
      }
      owner.lanes++;
      lane = new Lane(task.target.id, owner);
      this.lanes.set(task.target.id, lane);
    }
    lane.push(task);
    this.waiting++;
    this.markReady(lane);
    this.pump();
  }

  /** Removes and returns every waiting task of a target (for example when it was deactivated). */
  takeWaiting(targetId: string): DeliveryTask[] {
    const lane = this.lanes.get(targetId);
    if (!lane) return [];
    const tasks = lane.drain();
    this.waiting -= tasks.length;
    if (lane.inFlight === 0) this.remove(lane);
    return tasks;
  }

  /** Removes and returns every waiting task. */
  takeAllWaiting(): DeliveryTask[] {
    return [...this.lanes.keys()].flatMap((targetId) => this.takeWaiting(targetId));
  }

  /** Resolves when no task is running. */
  whenIdle(): Promise<void> {
    if (this.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /** A target may start again (its rate limit has a token): its lane takes its turn. */
  wake(targetId: string): void {
    const lane = this.lanes.get(targetId);
    if (lane) this.markReady(lane);
    this.pump();
  }

  /** Wakes the dispatcher after a lane's limit was raised. */
  pump(): void {
    while (this.running < this.globalLimit && this.readyHead < this.ready.length) {
      const lane = this.ready[this.readyHead++]!;
      lane.ready = false;
      const { owner } = lane;
      if (lane.inFlight >= this.laneLimit(lane.targetId, owner.id)) {
        this.offerRoom(owner);
        continue;
      }
      if (lane.queued > 0 && owner.running >= this.ownerLimit()) {
        lane.parked = true;
        owner.parked.push(lane);
        continue;
      }
      if (lane.queued > 0 && !this.admit(lane.targetId)) {
        this.offerRoom(owner);
        continue;
      }
      const task = lane.shift();
      if (!task) {
        if (lane.inFlight === 0) this.remove(lane);
        this.offerRoom(owner);
        continue;
      }
      this.waiting--;
      lane.inFlight++;
      owner.running++;
      this.running++;
      this.offerRoom(owner);
      this.markReady(lane);
      this.run(task).finally(() => {
        lane.inFlight--;
        owner.running--;
        this.running--;
        // the owner's parked lanes go first: they have waited longer than this one
        this.offerRoom(owner);
        if (lane.inFlight === 0 && lane.queued === 0) this.remove(lane);
        else this.markReady(lane);
        this.pump();
        if (this.running === 0) this.idle.splice(0).forEach((resolve) => resolve());
      });
    }
    if (this.readyHead > 1024 && this.readyHead * 2 > this.ready.length) {
      this.ready.splice(0, this.readyHead);
      this.readyHead = 0;
    }
  }

  /** Queues the lane for its turn, unless it is queued or parked already, or has nothing it may start. */
  private markReady(lane: Lane): boolean {
    if (
      lane.ready ||
      lane.parked ||
      lane.queued === 0 ||
      lane.inFlight >= this.laneLimit(lane.targetId, lane.owner.id)
    ) {
      return false;
    }
    lane.ready = true;
    this.ready.push(lane);
    return true;
  }

  /**
   * While the owner may start more attempts, its longest-parked lane that has something to start
   * takes its turn. Whatever that turn comes to (an attempt started, or none: the lane's rate
   * limit, its own limit, no work left) offers the room again, so the owner's parked lanes are
   * woken one at a time, in the order they were parked, as long as the owner has room.
   */
  private offerRoom(owner: Owner): void {
    if (owner.parked.length === 0 || owner.running >= this.ownerLimit()) return;
    while (owner.parked.length > 0) {
      const lane = owner.parked.shift()!;
      lane.parked = false;
      if (this.markReady(lane)) return;
    }
  }

  /** A lane without work is forgotten; when its owner has no work left, the other owners' shares grow. */
  private remove(lane: Lane): void {
    if (this.lanes.get(lane.targetId) !== lane) return;
    this.lanes.delete(lane.targetId);
    const { owner } = lane;
    if (--owner.lanes > 0) return;
    this.owners.delete(owner.id);
    for (const other of this.owners.values()) this.offerRoom(other);
  }
}
