import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
  Query,
  UseInterceptors,
} from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { CurrentUser } from '../auth/auth.decorators';
import type { AuthenticatedUser } from '../auth/auth.types';
import { ConfigChangesInterceptor } from '../common/config-changes.interceptor';
import { PageQueryDto } from '../common/pagination';
import { Idempotent } from '../idempotency/idempotent.decorator';
import {
  AlertEventPageDto,
  AlertSubscriptionDto,
  AlertSubscriptionPageDto,
  CreateAlertSubscriptionDto,
  CreatedAlertSubscriptionDto,
  UpdateAlertSubscriptionDto,
} from './alert.dto';
import { AlertsService } from './alerts.service';

/** Alerts: the caller's subscriptions to operational events of their own webhooks, and the events raised. */
@ApiTags('alerts')
@UseInterceptors(ConfigChangesInterceptor)
@Controller('api/v1/alerts')
export class AlertsController {
  constructor(private readonly alerts: AlertsService) {}

  /**
   * Subscribe a notification URL (`http`: signed with its own `whsec_…` secret, shown in this
   * response only, and retried like any target) or a log line (`log`) to operational events.
   */
  @Post('subscriptions')
  @Idempotent({ secrets: ['signingSecret'] })
  async createAlertSubscription(
    @CurrentUser() user: AuthenticatedUser,
    @Body() dto: CreateAlertSubscriptionDto,
  ): Promise<CreatedAlertSubscriptionDto> {
    return this.alerts.create(user, dto);
  }

  /** List your alert subscriptions, newest first. */
  @Get('subscriptions')
  async listAlertSubscriptions(
    @CurrentUser() user: AuthenticatedUser,
    @Query() page: PageQueryDto,
  ): Promise<AlertSubscriptionPageDto> {
    return this.alerts.list(user, page);
  }

  /** Get an alert subscription. */
  @Get('subscriptions/:id')
  async getAlertSubscription(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<AlertSubscriptionDto> {
    return this.alerts.get(user, id);
  }

  /** Change an alert subscription's name, event types, active flag or `http` settings. */
  @Patch('subscriptions/:id')
  async updateAlertSubscription(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: UpdateAlertSubscriptionDto,
  ): Promise<AlertSubscriptionDto> {
    return this.alerts.update(user, id, dto);
  }

  /** Delete an alert subscription; its notifications not yet sent are cancelled. */
  @Delete('subscriptions/:id')
  @HttpCode(204)
  async deleteAlertSubscription(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<void> {
    await this.alerts.delete(user, id);
  }

  /** The operational events of your webhooks, newest first, with their delivery to each subscription. */
  @Get('events')
  async listAlertEvents(
    @CurrentUser() user: AuthenticatedUser,
    @Query() page: PageQueryDto,
  ): Promise<AlertEventPageDto> {
    return this.alerts.listEvents(user, page);
  }
}
