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
import { WebhooksService } from '../webhooks/webhooks.service';
import { CreateEntrypointDto, EntrypointDto, EntrypointPageDto, UpdateEntrypointDto } from './entrypoint.dto';
import { EntrypointsService } from './entrypoints.service';
import {
  AddVerificationSecretDto,
  EntrypointRejectionsDto,
  EntrypointVerificationDto,
  VerificationPresetDto,
} from './verification.dto';

/** Entrypoints: the inbound URLs of a webhook. */
@ApiTags('entrypoints')
@UseInterceptors(ConfigChangesInterceptor)
@Controller('api/v1')
export class EntrypointsController {
  constructor(
    private readonly entrypoints: EntrypointsService,
    private readonly webhooks: WebhooksService,
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
    const [created] = await this.entrypoints.describe([await this.entrypoints.create(webhook.id, dto)]);
    return created!;
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
    return { items: await this.entrypoints.describe(result.items), nextCursor: result.nextCursor };
  }

  /** Get an entrypoint. */
  @Get('entrypoints/:id')
  async getEntrypoint(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<EntrypointDto> {
    const [entrypoint] = await this.entrypoints.describe([await this.entrypoints.get(user, id)]);
    return entrypoint!;
  }

  /** Change an entrypoint's description or verification, or switch it off (it then answers 410) and on. */
  @Patch('entrypoints/:id')
  async updateEntrypoint(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: UpdateEntrypointDto,
  ): Promise<EntrypointDto> {
    const [entrypoint] = await this.entrypoints.describe([await this.entrypoints.update(user, id, dto)]);
    return entrypoint!;
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

  /** The providers whose verification schemes are built in, with the settings each fills. */
  @Get('verification-presets')
  listVerificationPresets(): VerificationPresetDto[] {
    return this.entrypoints.presets();
  }

  /**
   * Add a verification secret (rotate): it verifies from now on, and the current one keeps
   * verifying for the grace period (default 24 h). Secrets are never shown, only hinted at.
   */
  @Post('entrypoints/:id/verification/secrets')
  @Idempotent()
  async addVerificationSecret(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: AddVerificationSecretDto,
  ): Promise<EntrypointVerificationDto> {
    return this.entrypoints.addVerificationSecret(user, id, dto.secret, dto.gracePeriodHours);
  }

  /** How many requests inbound verification refused on an entrypoint, and the last 20. */
  @Get('entrypoints/:id/rejections')
  async listEntrypointRejections(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<EntrypointRejectionsDto> {
    return this.entrypoints.rejections(user, id);
  }
}
