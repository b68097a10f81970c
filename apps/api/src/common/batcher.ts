interface Waiting<T> {
  item: T;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Whether a failed write was refused because of what one of its rows holds (PostgreSQL SQLSTATE
 * classes 22 data exception, 23 integrity constraint, 54 program limit), rather than because the
 * database is unreachable: only then is splitting the batch worth it.
 */
export function isRowError(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && /^(22|23|54)/.test(code);
}

/**
 * Group commit: items submitted while the event loop is busy, or while earlier batches are being
 * written, are written together by one call of `write`. At most `maxInFlight` writes run at once,
 * each with at most `maxBatch` items; `submit` resolves once its item's batch is written. With a
 * `windowMs`, a batch that is not full waits that long for more items (fewer, larger commits, for
 * writes nobody waits on); `drain` does not wait.
 *
 * A bad item never sinks its batch: when a write fails with a row error (`isRowError`), the batch
 * is written again in halves, down to single items, so only the bad item is rejected. Any other
 * failure (the database is down) rejects the whole batch at once.
 */
export class Batcher<T> {
  private waiting: Waiting<T>[] = [];
  private inFlight = 0;
  private scheduled = false;
  private idle: (() => void)[] = [];

  constructor(
    private readonly write: (items: T[]) => Promise<void>,
    private readonly maxBatch: number,
    private readonly maxInFlight: number,
    private readonly windowMs = 0,
  ) {}

  submit(item: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (this.waiting.length >= this.maxBatch) this.flush();
      else this.schedule();
    });
  }

  /** A flush of what waits, at the next turn of the event loop or at the end of the window. */
  private schedule(): void {
    if (this.scheduled || this.waiting.length === 0) return;
    this.scheduled = true;
    const flushScheduled = () => {
      this.scheduled = false;
      this.flush();
    };
    if (this.windowMs > 0) setTimeout(flushScheduled, this.windowMs);
    else setImmediate(flushScheduled);
  }

  /** Items waiting or being written. */
  get size(): number {
    return this.waiting.length + this.inFlight;
  }

  /** Resolves when everything submitted so far is written. */
  drain(): Promise<void> {
    if (this.waiting.length === 0 && this.inFlight === 0) return Promise.resolve();
    this.flush();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private flush(): void {
    while (this.inFlight < this.maxInFlight && this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.maxBatch);
      this.inFlight++;
      this.writeSplitting(batch).finally(() => {
        this.inFlight--;
        if (this.windowMs === 0 || this.waiting.length >= this.maxBatch || this.idle.length > 0) this.flush();
        else this.schedule();
        if (this.inFlight === 0 && this.waiting.length === 0)
          this.idle.splice(0).forEach((resolve) => resolve());
      });
    }
  }

  /** Writes the batch; on a row error, its halves one after the other. Never rejects. */
  private async writeSplitting(batch: Waiting<T>[]): Promise<void> {
    try {
      await this.write(batch.map((waiting) => waiting.item));
    } catch (error) {
      if (batch.length === 1 || !isRowError(error)) {
        batch.forEach((waiting) => waiting.reject(error));
        return;
      }
      const middle = Math.ceil(batch.length / 2);
      await this.writeSplitting(batch.slice(0, middle));
      await this.writeSplitting(batch.slice(middle));
      return;
    }
    batch.forEach((waiting) => waiting.resolve());
  }
}
