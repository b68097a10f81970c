/** Thrown by ConcurrencyLimiter.run when every slot is taken and the wait queue is full. */
export class LimiterFullError extends Error {
  constructor() {
    super('Every slot is taken and the wait queue is full');
  }
}

/** Runs at most `concurrency` tasks at once; up to `queueSize` more wait their turn, the rest are refused at once. */
export class ConcurrencyLimiter {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    readonly concurrency: number,
    readonly queueSize: number,
  ) {}

  /** No task running or waiting. */
  get idle(): boolean {
    return this.running === 0;
  }

  /** Runs `task` when a slot is free; throws LimiterFullError at once when the queue is full too. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running < this.concurrency) {
      this.running++;
    } else if (this.waiting.length < this.queueSize) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      throw new LimiterFullError();
    }
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}

/**
 * A ConcurrencyLimiter per key (a user, say), each with the same bounds: made when a key first
 * runs a task, dropped once nothing of that key runs or waits.
 */
export class KeyedConcurrencyLimiter {
  private readonly limiters = new Map<string, ConcurrencyLimiter>();

  constructor(
    readonly concurrency: number,
    readonly queueSize: number,
  ) {}

  /** Runs `task` when a slot of `key` is free; throws LimiterFullError at once when its queue is full too. */
  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    let limiter = this.limiters.get(key);
    if (!limiter) {
      limiter = new ConcurrencyLimiter(this.concurrency, this.queueSize);
      this.limiters.set(key, limiter);
    }
    try {
      return await limiter.run(task);
    } finally {
      if (limiter.idle && this.limiters.get(key) === limiter) this.limiters.delete(key);
    }
  }
}
