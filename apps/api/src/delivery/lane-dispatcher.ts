import type { DeliveryTask } from './delivery-task';

class Lane {
  inFlight = 0;
  ready = false;
  private tasks: DeliveryTask[] = [];
  private head = 0;

  constructor(readonly targetId: string) {}

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
 * The worker pool: at most `globalLimit` tasks run at once (DELIVERY_CONCURRENCY), and at most
 * `laneLimit(target)` per target, so one slow target cannot take every slot. Waiting tasks sit in
 * one FIFO lane per target; lanes with work take turns (round robin). A lane whose target may not
 * start now (`admit`: its rate limit) waits until `wake` is called for it.
 */
export class LaneDispatcher {
  private readonly lanes = new Map<string, Lane>();
  private readonly ready: Lane[] = [];
  private readyHead = 0;
  private running = 0;
  private waiting = 0;
  private idle: (() => void)[] = [];

  constructor(
    private readonly globalLimit: number,
    private readonly laneLimit: (targetId: string) => number,
    private readonly run: (task: DeliveryTask) => Promise<void>,
    private readonly admit: (targetId: string) => boolean = () => true,
  ) {}

  /** Tasks waiting in lanes (not running). */
  get queued(): number {
    return this.waiting;
  }

  get inFlight(): number {
    return this.running;
  }

  /** Targets with tasks waiting or running. */
  get lanesWithWork(): number {
    return this.lanes.size;
  }

  push(task: DeliveryTask): void {
    let lane = this.lanes.get(task.target.id);
    if (!lane) {
      lane = new Lane(task.target.id);
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
      if (lane.inFlight >= this.laneLimit(lane.targetId)) continue;
      if (lane.queued > 0 && !this.admit(lane.targetId)) continue;
      const task = lane.shift();
      if (!task) {
        if (lane.inFlight === 0 && this.lanes.get(lane.targetId) === lane) this.lanes.delete(lane.targetId);
        continue;
      }
      this.waiting--;
      lane.inFlight++;
      this.running++;
      this.markReady(lane);
      this.run(task).finally(() => {
        lane.inFlight--;
        this.running--;
        if (lane.inFlight === 0 && lane.queued === 0) this.lanes.delete(lane.targetId);
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

  private markReady(lane: Lane): void {
    if (!lane.ready && lane.queued > 0 && lane.inFlight < this.laneLimit(lane.targetId)) {
      lane.ready = true;
      this.ready.push(lane);
    }
  }
}
