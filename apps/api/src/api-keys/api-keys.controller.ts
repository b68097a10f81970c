import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { CurrentUser } from '../auth/auth.decorators';
import type { AuthenticatedUser } from '../auth/auth.types';
import { Idempotent } from '../idempotency/idempotent.decorator';
import { PageQueryDto } from '../common/pagination';
import { ApiKeyDto, ApiKeyPageDto, CreateApiKeyDto, CreatedApiKeyDto } from './api-key.dto';
import { ApiKeysService } from './api-keys.service';

/** The caller's own API keys. */
@ApiTags('api-keys')
@Controller('api/v1/api-keys')
export class ApiKeysController {
  constructor(private readonly apiKeys: ApiKeysService) {}

  /** Create an API key. The key is in this response only. */
  @Post()
  @Idempotent({ secrets: ['key'] })
  async createApiKey(
    @CurrentUser() user: AuthenticatedUser,
    @Body() dto: CreateApiKeyDto,
  ): Promise<CreatedApiKeyDto> {
    const { apiKey, key } = await this.apiKeys.create(user.id, dto.name);
    return { ...ApiKeyDto.from(apiKey), key };
  }

  /** List the caller's API keys, newest first. */
  @Get()
  async listApiKeys(
    @CurrentUser() user: AuthenticatedUser,
    @Query() page: PageQueryDto,
  ): Promise<ApiKeyPageDto> {
    const result = await this.apiKeys.list(user.id, page);
    return { items: result.items.map(ApiKeyDto.from), nextCursor: result.nextCursor };
  }

  /** Revoke an API key: it stops working at once. */
  @Delete(':id')
  @HttpCode(204)
  async revokeApiKey(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<void> {
    await this.apiKeys.revoke(user.id, id);
  }
}
