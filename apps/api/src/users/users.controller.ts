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
} from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { AdminOnly, CurrentUser } from '../auth/auth.decorators';
import { ApiKeyDto, ApiKeyPageDto } from '../api-keys/api-key.dto';
import type { AuthenticatedUser } from '../auth/auth.types';
import { Idempotent } from '../idempotency/idempotent.decorator';
import { PageQueryDto } from '../common/pagination';
import {
  CreateUserDto,
  GeneratedPasswordDto,
  ResetPasswordDto,
  UpdateUserDto,
  UserDto,
  UserPageDto,
  UserWithPasswordDto,
} from './user.dto';
import { HashesPasswords } from './password-hasher';
import { UsersService } from './users.service';

/** Managing users: admins only. */
@ApiTags('users')
@AdminOnly()
@Controller('api/v1/users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  /** List users, newest first. */
  @Get()
  async listUsers(@Query() page: PageQueryDto): Promise<UserPageDto> {
    const result = await this.users.list(page);
    return { items: result.items.map(UserDto.from), nextCursor: result.nextCursor };
  }

  /** Create a user. */
  @Post()
  @Idempotent({ secrets: ['password'] })
  @HashesPasswords()
  async createUser(@Body() dto: CreateUserDto): Promise<UserWithPasswordDto> {
    const { user, generatedPassword } = await this.users.create(dto);
    return { ...UserDto.from(user), password: generatedPassword };
  }

  /** Get a user. */
  @Get(':id')
  async getUser(@Param('id', ParseUUIDPipe) id: string): Promise<UserDto> {
    return UserDto.from(await this.users.get(id));
  }

  /** Change a user's role, or disable / enable the account. */
  @Patch(':id')
  async updateUser(
    @CurrentUser() actor: AuthenticatedUser,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: UpdateUserDto,
  ): Promise<UserDto> {
    return UserDto.from(await this.users.update(actor.id, id, dto));
  }

  /**
   * Set a new password for a user (generated when none is given); the user's sessions end, and with
   * `revokeApiKeys: true` their API keys are revoked too.
   */
  @Post(':id/reset-password')
  @HttpCode(200)
  @HashesPasswords()
  async resetUserPassword(
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: ResetPasswordDto,
  ): Promise<GeneratedPasswordDto> {
    const { generatedPassword } = await this.users.resetPassword(id, dto);
    return { password: generatedPassword };
  }

  /** List a user's API keys (without the keys themselves), newest first. */
  @Get(':id/api-keys')
  async listUserApiKeys(
    @Param('id', ParseUUIDPipe) id: string,
    @Query() page: PageQueryDto,
  ): Promise<ApiKeyPageDto> {
    const result = await this.users.listApiKeys(id, page);
    return { items: result.items.map(ApiKeyDto.from), nextCursor: result.nextCursor };
  }

  /** Revoke one of a user's API keys: it stops working at once. */
  @Delete(':id/api-keys/:keyId')
  @HttpCode(204)
  async revokeUserApiKey(
    @Param('id', ParseUUIDPipe) id: string,
    @Param('keyId', ParseUUIDPipe) keyId: string,
  ): Promise<void> {
    await this.users.revokeApiKey(id, keyId);
  }
}
