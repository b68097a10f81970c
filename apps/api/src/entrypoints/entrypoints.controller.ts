import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
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
import { APP_CONFIG, AppConfig } from '../config/config';
import { Idempotent } from '../idempotency/idempotent.decorator';
import { WebhooksService } from '../webhooks/webhooks.service';
import { CreateEntrypointDto, EntrypointDto, EntrypointPageDto, UpdateEntrypointDto } from './entrypoint.dto';
import { EntrypointsService } from './entrypoints.service';

/** Entrypoints: the inbound URLs of a webhook. */
@ApiTags('entrypoints')
@UseInterceptors(ConfigChangesInterceptor)
@Controller('api/v1')
export class EntrypointsController {
  constructor(
    private readonly entrypoints: EntrypointsService,
    private readonly webhooks: WebhooksService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Add an entrypoint to a webhook. */
  @Post('webhooks/:webhookId/entrypoints')
  @Idempotent()
  async createEntrypoint(
    @CurrentUser() user: AuthenticatedUser,
    @Param('webhookId', ParseUUIDPipe) webhookId: string,
    @Body() dto: CreateEntrypointDto,
  ): Promise<EntrypointDto> {
    const webhook = await this.webhooks.getAccessible(user, webhookId);
    return EntrypointDto.from(await this.entrypoints.create(webhook.id, dto), this.config.publicUrl);
  }

  /** List the entrypoints of a webhook, newest first. */
  @Get('webhooks/:webhookId/entrypoints')
  async listEntrypoints(
    @CurrentUser() user: AuthenticatedUser,
    @Param('webhookId', ParseUUIDPipe) webhookId: string,
    @Query() page: PageQueryDto,
  ): Promise<EntrypointPageDto> {
    const webhook = await this.webhooks.getAccessible(user, webhookId);
    const result = await this.entrypoints.list(webhook.id, page);
    return {
      items: result.items.map((entrypoint) => EntrypointDto.from(entrypoint, this.config.publicUrl)),
      nextCursor: result.nextCursor,
    };
  }

  /** Get an entrypoint. */
  @Get('entrypoints/:id')
  async getEntrypoint(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<EntrypointDto> {
    return EntrypointDto.from(await this.entrypoints.get(user, id), this.config.publicUrl);
  }

  /** Change an entrypoint's description, or switch it off (it then answers 410) and on. */
  @Patch('entrypoints/:id')
  async updateEntrypoint(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: UpdateEntrypointDto,
  ): Promise<EntrypointDto> {
    return EntrypointDto.from(await this.entrypoints.update(user, id, dto), this.config.publicUrl);
  }

  /** Delete an entrypoint. */
  @Delete('entrypoints/:id')
  @HttpCode(204)
  async deleteEntrypoint(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<void> {
    await this.entrypoints.delete(user, id);
  }
}
