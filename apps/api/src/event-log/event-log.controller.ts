import { Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { CurrentUser } from '../auth/auth.decorators';
import type { AuthenticatedUser } from '../auth/auth.types';
import {
  AllEventsQueryDto,
  DeliveryAttemptDto,
  DeliveryDto,
  DeliveryListQueryDto,
  DeliveryPageDto,
  EventDetailDto,
  EventListQueryDto,
  EventPageDto,
  ReplayResultDto,
} from './event-log.dto';
import { EventLogService } from './event-log.service';

/** The event log: captured events, their deliveries and attempts, and replay. */
@ApiTags('events')
@Controller('api/v1')
export class EventLogController {
  constructor(private readonly eventLog: EventLogService) {}

  /**
   * List a webhook's events, newest first; search them (`q`: an event id, or text in a header value
   * or the body) and filter by entrypoint, target, delivery status and time.
   */
  @Get('webhooks/:webhookId/events')
  async listEvents(
    @CurrentUser() user: AuthenticatedUser,
    @Param('webhookId', ParseUUIDPipe) webhookId: string,
    @Query() query: EventListQueryDto,
  ): Promise<EventPageDto> {
    return this.eventLog.listEvents(user, webhookId, query);
  }

  /**
   * List the events of every webhook you may see (admins: all webhooks), newest first; search and
   * filter them as a webhook's.
   */
  @Get('events')
  async listAllEvents(
    @CurrentUser() user: AuthenticatedUser,
    @Query() query: AllEventsQueryDto,
  ): Promise<EventPageDto> {
    return this.eventLog.listAllEvents(user, query);
  }

  /** Get an event: method, path, query, headers, body (base64 when not text) and its deliveries. */
  @Get('events/:id')
  async getEvent(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<EventDetailDto> {
    return this.eventLog.getEvent(user, id);
  }

  /** Deliver an event again to its webhook's current active targets (new deliveries). */
  @Post('events/:id/replay')
  @HttpCode(200)
  async replayEvent(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<DeliveryDto[]> {
    return this.eventLog.replayEvent(user, id);
  }

  /** The attempts of a delivery, oldest first. */
  @Get('deliveries/:id/attempts')
  async listDeliveryAttempts(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<DeliveryAttemptDto[]> {
    return this.eventLog.listAttempts(user, id);
  }

  /** Send a finished delivery (delivered, failed or cancelled) again, with a fresh set of retries. */
  @Post('deliveries/:id/replay')
  @HttpCode(200)
  async replayDelivery(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<DeliveryDto> {
    return this.eventLog.replayDelivery(user, id);
  }

  /** A target's deliveries, newest first; `?status=failed` lists its dead letters. */
  @Get('targets/:id/deliveries')
  async listTargetDeliveries(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', ParseUUIDPipe) id: string,
    @Query() query: DeliveryListQueryDto,
  ): Promise<DeliveryPageDto> {
    return this.eventLog.listTargetDeliveries(user, id, query);
  }

  /** Queue every failed delivery of a target again (those of a paused target wait, `paused`, for its activation). */
  @Post('targets/:id/replay-failed')
  @HttpCode(200)
  async replayFailedDeliveries(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<ReplayResultDto> {
    return { replayed: await this.eventLog.replayFailed(user, id) };
  }
}
