import type { DeliveryTask } from './delivery-task';

interface Entry {
  dueAt: number;
  task: DeliveryTask;
}

/**
 * Retries due soon, held in memory: one min-heap and one timer for the earliest, never a timer
 * per delivery.
 */
export class RetryTimers {
  private heap: Entry[] = [];
  private timer?: NodeJS.Timeout;
  private timerDueAt = Infinity;

  constructor(private readonly onDue: (task: DeliveryTask) => void) {}

  get size(): number {
    return this.heap.length;
  }

  add(dueAt: number, task: DeliveryTask): void {
    this.heap.push({ dueAt, task });
    this.up(this.heap.length - 1);
    this.arm();
  }

  /** Removes and returns every held task. */
  takeAll(): DeliveryTask[] {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timerDueAt = Infinity;
    const tasks = this.heap.map((entry) => entry.task);
    this.heap = [];
    return tasks;
  }

  private arm(): void {
    const next = this.heap[0];
    if (!next || next.dueAt >= this.timerDueAt) return;
    clearTimeout(this.timer);
    this.timerDueAt = next.dueAt;
    this.timer = setTimeout(() => this.fire(), Math.max(0, next.dueAt - Date.now()));
  }

  private fire(): void {
    this.timer = undefined;
    this.timerDueAt = Infinity;
    const now = Date.now();
    while (this.heap.length > 0 && this.heap[0]!.dueAt <= now) this.onDue(this.pop().task);
    this.arm();
  }

  private pop(): Entry {
    const top = this.heap[0]!;
    const last = this.heap.pop()!;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      this.down(0);
    }
    return top;
  }

  private up(index: number): void {
    const heap = this.heap;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (heap[parent]!.dueAt <= heap[index]!.dueAt) return;
      [heap[parent], heap[index]] = [heap[index]!, heap[parent]!];
      index = parent;
    }
  }

  private down(index: number): void {
    const heap = this.heap;
    for (;;) {
      const left = 2 * index + 1;
      const right = left + 1;
      let smallest = index;
      if (left < heap.length && heap[left]!.dueAt < heap[smallest]!.dueAt) smallest = left;
      if (right < heap.length && heap[right]!.dueAt < heap[smallest]!.dueAt) smallest = right;
      if (smallest === index) return;
      [heap[smallest], heap[index]] = [heap[index]!, heap[smallest]!];
      index = smallest;
    }
  }
}
