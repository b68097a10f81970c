import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { CurrentUser } from '../auth/auth.decorators';
import type { AuthenticatedUser } from '../auth/auth.types';
import { PageQueryDto } from '../common/pagination';
import { Idempotent } from '../idempotency/idempotent.decorator';
import {
  BulkOperationDto,
  BulkOperationPageDto,
  CancelFilterDto,
  ReplayFilterDto,
} from './bulk-operation.dto';
import { BulkOperationRunner } from './bulk-operation.runner';
import { BulkOperationsService, toBulkOperationDto } from './bulk-operations.service';

/** Bulk recovery: replay or cancel a webhook's deliveries by filter, in the background. */
@ApiTags('bulk-operations')
@Controller('api/v1')
export class BulkOperationsController {
  constructor(
    private readonly operations: BulkOperationsService,
    private readonly runner: BulkOperationRunner,
  ) {}

  /**
   * Replay the webhook's deliveries matching the filter (failed, cancelled or paused; by target and
   * creation time), with a fresh set of retries; those of an inactive target stay `paused` until it
   * is activated. Answers at once with the operation; follow its progress with getBulkOperation.
   */
  @Post('webhooks/:webhookId/replay')
  @HttpCode(202)
  @Idempotent()
  async replayDeliveries(
    @CurrentUser() user: AuthenticatedUser,
    @Param('webhookId', ParseUUIDPipe) webhookId: string,
    @Body() dto: ReplayFilterDto,
  ): Promise<BulkOperationDto> {
    const operation = await this.operations.create(user, webhookId, 'replay', dto);
    this.runner.wake();
    return toBulkOperationDto(operation);
  }

  /**
   * Cancel the webhook's unfinished deliveries matching the filter (pending, retrying or paused; by
   * target and creation time), e.g. a flood that should not be delivered. Answers at once with the
   * operation; follow its progress with getBulkOperation.
   */
  @Post('webhooks/:webhookId/cancel')
  @HttpCode(202)
  @Idempotent()
  async cancelDeliveries(
    @CurrentUser() user: AuthenticatedUser,
    @Param('webhookId', ParseUUIDPipe) webhookId: string,
    @Body() dto: CancelFilterDto,
  ): Promise<BulkOperationDto> {
    const operation = await this.operations.create(user, webhookId, 'cancel', dto);
    this.runner.wake();
    return toBulkOperationDto(operation);
  }

  /** List the webhook's bulk operations, newest first. */
  @Get('webhooks/:webhookId/bulk-operations')
  async listBulkOperations(
    @CurrentUser() user: AuthenticatedUser,
    @Param('webhookId', ParseUUIDPipe) webhookId: string,
    @Query() page: PageQueryDto,
  ): Promise<BulkOperationPageDto> {
    const result = await this.operations.list(user, webhookId, page);
    return { items: result.items.map(toBulkOperationDto), nextCursor: result.nextCursor };
  }

  /** Get a bulk operation and its progress. */
  @Get('bulk-operations/:id')
  async getBulkOperation(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<BulkOperationDto> {
    return toBulkOperationDto(await this.operations.get(user, id));
  }
}
