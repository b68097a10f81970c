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
import { ConfigChangesInterceptor } from '../common/config-changes.interceptor';
import type { AuthenticatedUser } from '../auth/auth.types';
import { PageQueryDto } from '../common/pagination';
import { Idempotent } from '../idempotency/idempotent.decorator';
import { CreateWebhookDto, UpdateWebhookDto, WebhookDetailDto, WebhookPageDto } from './webhook.dto';
import { WebhooksService } from './webhooks.service';

/** Webhooks: the groups of entrypoints (inbound URLs) and targets (destinations). */
@ApiTags('webhooks')
@UseInterceptors(ConfigChangesInterceptor)
@Controller('api/v1/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  /** Create a webhook; it comes with one active entrypoint. */
  @Post()
  @Idempotent()
  async createWebhook(
    @CurrentUser() user: AuthenticatedUser,
    @Body() dto: CreateWebhookDto,
  ): Promise<WebhookDetailDto> {
    return this.webhooks.create(user, dto);
  }

  /** List webhooks (yours; admins see all), newest first, with entrypoint, target and event counts. */
  @Get()
  async listWebhooks(
    @CurrentUser() user: AuthenticatedUser,
    @Query() page: PageQueryDto,
  ): Promise<WebhookPageDto> {
    return this.webhooks.list(user, page);
  }

  /** Get a webhook with its entrypoints and counts. */
  @Get(':id')
  async getWebhook(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<WebhookDetailDto> {
    return this.webhooks.getDetail(user, id);
  }

  /** Change a webhook's name, description or retention. */
  @Patch(':id')
  async updateWebhook(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: UpdateWebhookDto,
  ): Promise<WebhookDetailDto> {
    return this.webhooks.update(user, id, dto);
  }

  /**
   * Delete a webhook: its entrypoints answer 410 at once, unfinished deliveries are cancelled, and
   * its events are deleted in the background.
   */
  @Delete(':id')
  @HttpCode(204)
  async deleteWebhook(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<void> {
    await this.webhooks.delete(user, id);
  }
}
