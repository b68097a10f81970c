interface Waiting<T> {
  item: T;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: items submitted while the event loop is busy, or while earlier batches are being
 * written, are written together by one call of `write`. At most `maxInFlight` writes run at once,
 * each with at most `maxBatch` items; `submit` resolves once its item's batch is written.
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
  ) {}

  submit(item: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (this.waiting.length >= this.maxBatch) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.flush();
        });
      }
    });
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
      this.write(batch.map((waiting) => waiting.item))
        .then(
          () => batch.forEach((waiting) => waiting.resolve()),
          (error) => batch.forEach((waiting) => waiting.reject(error)),
        )
        .finally(() => {
          this.inFlight--;
          this.flush();
          if (this.inFlight === 0 && this.waiting.length === 0)
            this.idle.splice(0).forEach((resolve) => resolve());
        });
    }
  }
}
