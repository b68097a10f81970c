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
import {
  CreatedSigningSecretDto,
  CreatedTargetDto,
  CreateTargetDto,
  RotateSigningSecretDto,
  SigningSecretDto,
  TargetDto,
  TargetPageDto,
  UpdateTargetDto,
} from './target.dto';
import { TargetsService } from './targets.service';

/** Targets: where a webhook's events are delivered. */
@ApiTags('targets')
@UseInterceptors(ConfigChangesInterceptor)
@Controller('api/v1')
export class TargetsController {
  constructor(
    private readonly targets: TargetsService,
    private readonly webhooks: WebhooksService,
  ) {}

  /** Add a target to a webhook. An `http` target gets a signing secret, shown in this response only. */
  @Post('webhooks/:webhookId/targets')
  @Idempotent({ secrets: ['signingSecret'] })
  async createTarget(
    @CurrentUser() user: AuthenticatedUser,
    @Param('webhookId', ParseUUIDPipe) webhookId: string,
    @Body() dto: CreateTargetDto,
  ): Promise<CreatedTargetDto> {
    const webhook = await this.webhooks.getAccessible(user, webhookId);
    return this.targets.create(webhook.id, dto);
  }

  /** List the targets of a webhook, newest first. */
  @Get('webhooks/:webhookId/targets')
  async listTargets(
    @CurrentUser() user: AuthenticatedUser,
    @Param('webhookId', ParseUUIDPipe) webhookId: string,
    @Query() page: PageQueryDto,
  ): Promise<TargetPageDto> {
    const webhook = await this.webhooks.getAccessible(user, webhookId);
    const result = await this.targets.list(webhook.id, page);
    return { items: await this.targets.describe(result.items), nextCursor: result.nextCursor };
  }

  /** Get a target. */
  @Get('targets/:id')
  async getTarget(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<TargetDto> {
    return this.targets.describeOne(await this.targets.get(user, id));
  }

  /** Change a target's name, active flag or `http` settings (fields left out keep their value). */
  @Patch('targets/:id')
  async updateTarget(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: UpdateTargetDto,
  ): Promise<TargetDto> {
    return this.targets.describeOne(await this.targets.update(user, id, dto));
  }

  /** Activate (resume) a target: its paused deliveries go out again, oldest first, and new events are delivered. */
  @Post('targets/:id/activate')
  @HttpCode(200)
  async activateTarget(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<TargetDto> {
    return this.targets.describeOne(await this.targets.setActive(user, id, true));
  }

  /**
   * Deactivate (pause) a target: nothing is sent to it; its waiting deliveries, and those of new
   * events, are kept as `paused` until it is activated again.
   */
  @Post('targets/:id/deactivate')
  @HttpCode(200)
  async deactivateTarget(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<TargetDto> {
    return this.targets.describeOne(await this.targets.setActive(user, id, false));
  }

  /** Delete a target; its unfinished deliveries are cancelled. */
  @Delete('targets/:id')
  @HttpCode(204)
  async deleteTarget(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<void> {
    await this.targets.delete(user, id);
  }

  /**
   * Generate a new signing secret (rotate): it signs from now on, and the secrets in use keep signing
   * for the grace period (default 24 h). The secret is in this response only.
   */
  @Post('targets/:id/signing-secrets')
  @Idempotent({ secrets: ['secret'] })
  async rotateSigningSecret(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: RotateSigningSecretDto,
  ): Promise<CreatedSigningSecretDto> {
    return this.targets.rotateSigningSecret(user, id, dto.gracePeriodHours);
  }

  /** List a target's live signing secrets, newest first, without the secrets themselves. */
  @Get('targets/:id/signing-secrets')
  async listSigningSecrets(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<SigningSecretDto[]> {
    return this.targets.listSigningSecrets(user, id);
  }

  /** Revoke a signing secret at once. */
  @Delete('targets/:id/signing-secrets/:secretId')
  @HttpCode(204)
  async revokeSigningSecret(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', ParseUUIDPipe) id: string,
    @Param('secretId', ParseUUIDPipe) secretId: string,
  ): Promise<void> {
    await this.targets.revokeSigningSecret(user, id, secretId);
  }
}
