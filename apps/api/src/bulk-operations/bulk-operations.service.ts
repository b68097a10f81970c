import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager, Repository } from 'typeorm';
import { actorName, type AuthenticatedUser } from '../auth/auth.types';
import { Page, PageQueryDto, paginate } from '../common/pagination';
import { ValidationFailedException } from '../common/validation';
import type { DeliveryFilter } from '../delivery/delivery-filter';
import { DeliveryService } from '../delivery/delivery.service';
import { TargetsService } from '../targets/targets.service';
import { WebhooksService } from '../webhooks/webhooks.service';
import { BulkOperation, BulkOperationFilter, BulkOperationKind } from './bulk-operation.entity';
import { BulkOperationDto, CancelFilterDto, ReplayFilterDto } from './bulk-operation.dto';

/** What one step of a running operation came to. */
export type StepOutcome = 'more' | 'finished' | 'lost';

/** The API shape of an operation. */
export function toBulkOperationDto(operation: BulkOperation): BulkOperationDto {
  const { id, webhookId, kind, filter, state, total, done, error, createdAt, updatedAt, finishedAt } =
    operation;
  return { id, webhookId, kind, filter, state, total, done, error, createdAt, updatedAt, finishedAt };
}

/** The deliveries an operation acts on, for the delivery module. */
function deliveryFilter(operation: BulkOperation): DeliveryFilter {
  const { filter } = operation;
  return {
    webhookId: operation.webhookId,
    statuses: filter.status,
    targetId: filter.targetId,
    since: filter.since === null ? null : new Date(filter.since),
    until: filter.until === null ? null : new Date(filter.until),
    createdUpTo: operation.createdAt,
  };
}

/** SQL for the end of a lease of the milliseconds in the given parameter (`$3`). */
function leaseEnd(parameter: string): string {
  return `now() + make_interval(secs => ${parameter}::float8 / 1000)`;
}

/** Bulk operations: made and read through the API, stepped through by the BulkOperationRunner. */
@Injectable()
export class BulkOperationsService {
  constructor(
    @InjectRepository(BulkOperation) private readonly operations: Repository<BulkOperation>,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly webhooks: WebhooksService,
    private readonly targets: TargetsService,
    private readonly deliveries: DeliveryService,
  ) {}

  /**
   * Makes a replay or cancel of the webhook's deliveries matching `dto`, counting them in the same
   * transaction; the work itself is left to the runner.
   */
  async create(
    user: AuthenticatedUser,
    webhookId: string,
    kind: BulkOperationKind,
    dto: ReplayFilterDto | CancelFilterDto,
  ): Promise<BulkOperation> {
    const webhook = await this.webhooks.getAccessible(user, webhookId);
    const filter = await this.checkedFilter(user, webhook.id, dto);
    return this.dataSource.transaction(async (manager) => {
      const repository = manager.getRepository(BulkOperation);
      const operation = await repository.save(
        repository.create({
          id: randomUUID(),
          webhookId: webhook.id,
          kind,
          filter,
          total: 0,
          createdBy: actorName(user),
        }),
      );
      operation.total = await this.deliveries.countMatching(deliveryFilter(operation), manager);
      await repository.update(operation.id, { total: operation.total });
      return repository.findOneByOrFail({ id: operation.id });
    });
  }

  /** An operation on a webhook the user may access; 404 otherwise. */
  async get(user: AuthenticatedUser, id: string): Promise<BulkOperation> {
    const operation = await this.operations.findOneBy({ id });
    if (operation) {
      try {
        await this.webhooks.getAccessible(user, operation.webhookId);
        return operation;
      } catch (error) {
        if (!(error instanceof NotFoundException)) throw error;
      }
    }
    throw new NotFoundException(`Bulk operation ${id} not found`);
  }

  /** The webhook's operations, newest first. */
  async list(user: AuthenticatedUser, webhookId: string, page: PageQueryDto): Promise<Page<BulkOperation>> {
    const webhook = await this.webhooks.getAccessible(user, webhookId);
    const query = this.operations
      .createQueryBuilder('operation')
      .where('operation.webhookId = :webhookId', { webhookId: webhook.id });
    return paginate(query, page);
  }

  /**
   * Leases the oldest running operation nobody holds (new, handed back, or its holder's lease
   * expired; `holder`'s own earlier leases at once) to `holder`; null when there is none.
   */
  async claim(holder: string, leaseMs: number): Promise<BulkOperation | null> {
    const [rows]: [{ id: string }[]] = await this.operations.query(
      `UPDATE bulk_operations SET leased_by = $1, lease_expires_at = ${leaseEnd('$2')}, updated_at = now()
       WHERE id = (SELECT id FROM bulk_operations
                   WHERE state = 'running'
                     AND (leased_by = $1 OR lease_expires_at IS NULL OR lease_expires_at < now())
                   ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
       RETURNING id`,
      [holder, leaseMs],
    );
    return rows[0] ? this.operations.findOneByOrFail({ id: rows[0].id }) : null;
  }

  /**
   * Runs the operation's next batch in one short transaction, while `holder` still holds it: the
   * lease is renewed, up to `batchSize` deliveries after the cursor change, and the cursor and
   * count move with them (so a crash never applies a batch twice or skips one). `lost`: the
   * operation is no longer this holder's.
   */
  async step(
    operation: BulkOperation,
    holder: string,
    leaseMs: number,
    batchSize: number,
  ): Promise<StepOutcome> {
    return this.dataSource.transaction(async (manager) => {
      const [held]: [{ last_delivery_id: string | null }[]] = await manager.query(
        `UPDATE bulk_operations SET lease_expires_at = ${leaseEnd('$3')}, updated_at = now()
         WHERE id = $1 AND leased_by = $2 AND state = 'running' RETURNING last_delivery_id`,
        [operation.id, holder, leaseMs],
      );
      if (!held[0]) return 'lost';
      const batch = await this.runBatch(operation, held[0].last_delivery_id, batchSize, manager);
      if (batch.last === null) {
        await manager.query(
          `UPDATE bulk_operations SET state = 'done', finished_at = now(), leased_by = NULL,
             lease_expires_at = NULL, updated_at = now()
           WHERE id = $1`,
          [operation.id],
        );
        return 'finished';
      }
      await manager.query(
        `UPDATE bulk_operations SET last_delivery_id = $2, done = done + $3, updated_at = now() WHERE id = $1`,
        [operation.id, batch.last, batch.changed],
      );
      return 'more';
    });
  }

  /** Ends an operation held by `holder` as failed, saying why. */
  async fail(operation: BulkOperation, holder: string, error: string): Promise<void> {
    await this.operations.query(
      `UPDATE bulk_operations SET state = 'failed', error = $3, finished_at = now(), leased_by = NULL,
         lease_expires_at = NULL, updated_at = now()
       WHERE id = $1 AND leased_by = $2 AND state = 'running'`,
      [operation.id, holder, error],
    );
  }

  /** Hands back every running operation `holder` holds, for any replica to take at once. */
  async release(holder: string): Promise<void> {
    await this.operations.query(
      `UPDATE bulk_operations SET leased_by = NULL, lease_expires_at = NULL, updated_at = now()
       WHERE leased_by = $1 AND state = 'running'`,
      [holder],
    );
  }

  private runBatch(
    operation: BulkOperation,
    after: string | null,
    batchSize: number,
    manager: EntityManager,
  ) {
    const filter = deliveryFilter(operation);
    return operation.kind === 'replay'
      ? this.deliveries.replayBatch(filter, after, batchSize, operation.createdBy, manager)
      : this.deliveries.cancelBatch(
          filter,
          after,
          batchSize,
          `cancelled by bulk operation ${operation.id}`,
          manager,
        );
  }

  /** The filter to store, after checking what validation alone cannot: the target and the range. */
  private async checkedFilter(
    user: AuthenticatedUser,
    webhookId: string,
    dto: ReplayFilterDto | CancelFilterDto,
  ): Promise<BulkOperationFilter> {
    const since = dto.since === undefined ? null : new Date(dto.since);
    const until = dto.until === undefined ? null : new Date(dto.until);
    if (since && until && until <= since) {
      throw new ValidationFailedException([{ field: 'until', message: 'until must be later than since' }]);
    }
    if (dto.targetId !== undefined && !(await this.isTargetOf(user, webhookId, dto.targetId))) {
      throw new ValidationFailedException([
        { field: 'targetId', message: `targetId ${dto.targetId} is not a target of this webhook` },
      ]);
    }
    return {
      status: dto.status,
      targetId: dto.targetId ?? null,
      since: since?.toISOString() ?? null,
      until: until?.toISOString() ?? null,
    };
  }

  private async isTargetOf(user: AuthenticatedUser, webhookId: string, targetId: string): Promise<boolean> {
    try {
      return (await this.targets.get(user, targetId)).webhookId === webhookId;
    } catch (error) {
      if (error instanceof NotFoundException) return false;
      throw error;
    }
  }
}
