import { Logger } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';

/**
 * A background job run every so often in this process: never two runs at once (a tick during a
 * run is skipped), a failed run logged and tried again at the next tick, the interval registered
 * with the scheduler under the job's name, and stopping waits for the run in progress (a run
 * that loops over steps checks `stopping` to end after the current one).
 */
export class PeriodicJob {
  private running?: Promise<unknown>;
  private stopRequested = false;

  constructor(
    private readonly scheduler: SchedulerRegistry,
    private readonly name: string,
    private readonly logger: Logger,
    /** What a failed run's log line says failed, e.g. "Retention". */
    private readonly what: string,
  ) {}

  start(intervalMs: number, run: () => Promise<unknown>): void {
    const interval = setInterval(() => {
      this.running ??= run()
        .catch((error) => this.logger.error(`${this.what} failed: ${error}`))
        .finally(() => (this.running = undefined));
    }, intervalMs);
    this.scheduler.addInterval(this.name, interval);
  }

  /** Set once `stop` is called. */
  get stopping(): boolean {
    return this.stopRequested;
  }

  /** Stops the ticks and waits for the run in progress, if any. */
  async stop(): Promise<void> {
    this.stopRequested = true;
    if (this.scheduler.doesExist('interval', this.name)) this.scheduler.deleteInterval(this.name);
    await this.running;
  }
}
