import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { APP_CONFIG, AppConfig } from '../config/config';
import { INSTANCE_ID } from '../delivery/instance-id';
import { BulkOperation } from './bulk-operation.entity';
import { BulkOperationsService, StepOutcome } from './bulk-operations.service';

/** Deliveries of the webhook one batch looks at (changing those that match), in one short transaction. */
export const BULK_BATCH_SIZE = 1000;
/** How often a replica looks for operations nobody runs: another replica's after its lease expired. */
const CLAIM_INTERVAL_MS = 1000;
/** Failed batches in a row after which an operation ends as `failed`. */
const MAX_FAILED_BATCHES = 5;
const JOB_NAME = 'bulk-operations';

/**
 * Runs bulk operations in the background, one at a time per replica: leases one (like the delivery
 * sweep, FOR UPDATE SKIP LOCKED with a lease of LEASE_MS renewed by every batch), steps through
 * it batch by batch from its stored cursor, then takes the next. Runs in every ROLE: the work is a
 * few statements, and any replica may finish another's.
 */
@Injectable()
export class BulkOperationRunner implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(BulkOperationRunner.name);
  private running?: Promise<void>;
  private lookAgain = false;
  private stopping = false;
  /** Failed batches in a row, by operation. */
  private readonly failures = new Map<string, number>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(INSTANCE_ID) private readonly instanceId: string,
    private readonly operations: BulkOperationsService,
    private readonly scheduler: SchedulerRegistry,
  ) {}

  onApplicationBootstrap(): void {
    this.scheduler.addInterval(
      JOB_NAME,
      setInterval(() => this.wake(), CLAIM_INTERVAL_MS),
    );
    this.wake();
  }

  /** Finishes the batch in progress, then hands this replica's operations back for another to take at once. */
  async beforeApplicationShutdown(): Promise<void> {
    if (!this.scheduler.doesExist('interval', JOB_NAME)) return;
    this.stopping = true;
    this.scheduler.deleteInterval(JOB_NAME);
    await this.running;
    await this.operations
      .release(this.instanceId)
      .catch((error) => this.logger.error(`Handing back bulk operations failed: ${error}`));
  }

  /** Runs every operation there is to take; called when one is made here, and every CLAIM_INTERVAL_MS. */
  wake(): void {
    if (this.stopping) return;
    if (this.running) {
      this.lookAgain = true;
      return;
    }
    this.running = this.runAll()
      .catch((error) => this.logger.error(`Running bulk operations failed: ${error}`))
      .finally(() => {
        this.running = undefined;
        if (this.lookAgain) {
          this.lookAgain = false;
          this.wake();
        }
      });
  }

  private async runAll(): Promise<void> {
    while (!this.stopping) {
      const operation = await this.operations.claim(this.instanceId, this.config.leaseMs);
      if (!operation || !(await this.run(operation))) return;
    }
  }

  /** Steps through an operation until it ends or is lost; false when a batch failed (tried again later). */
  private async run(operation: BulkOperation): Promise<boolean> {
    while (!this.stopping) {
      let outcome: StepOutcome;
      try {
        outcome = await this.operations.step(
          operation,
          this.instanceId,
          this.config.leaseMs,
          BULK_BATCH_SIZE,
        );
      } catch (error) {
        await this.batchFailed(operation, error);
        return false;
      }
      this.failures.delete(operation.id);
      if (outcome === 'finished') this.logger.log(`Bulk ${operation.kind} ${operation.id} is done`);
      if (outcome !== 'more') return true;
    }
    return true;
  }

  private async batchFailed(operation: BulkOperation, error: unknown): Promise<void> {
    const failures = (this.failures.get(operation.id) ?? 0) + 1;
    this.logger.error(
      `A batch of bulk ${operation.kind} ${operation.id} failed (${failures} in a row): ${error}`,
    );
    if (failures < MAX_FAILED_BATCHES) {
      this.failures.set(operation.id, failures);
      return;
    }
    this.failures.delete(operation.id);
    await this.operations.fail(
      operation,
      this.instanceId,
      `${MAX_FAILED_BATCHES} batches in a row failed; the last: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}
