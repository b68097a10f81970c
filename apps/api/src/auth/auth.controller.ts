import { Body, Controller, Get, HttpCode, Patch, Post, Req, UseGuards } from '@nestjs/common';
import { ApiTags, ApiTooManyRequestsResponse } from '@nestjs/swagger';
import { ProblemDetailsDto } from '../common/problem-details';
import { HashesPasswords } from '../users/password-hasher';
import { UserDto } from '../users/user.dto';
import type { User } from '../users/user.entity';
import { CurrentUser, Public } from './auth.decorators';
import { ChangePasswordDto, LoginDto, SessionDto } from './auth.dto';
import { AuthService } from './auth.service';
import type { AuthenticatedRequest, AuthenticatedUser } from './auth.types';
import { LocalAuthGuard } from './local.strategy';
import { LoginThrottlerGuard } from './login-throttler.guard';

/** Dashboard login, the caller's identity and own password. */
@ApiTags('auth')
@Controller('api/v1/auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  /** Log in with username and password; sets the session cookie. Rate-limited per address and username, and per address. */
  @Public()
  @Post('login')
  @HttpCode(200)
  @UseGuards(LoginThrottlerGuard, LocalAuthGuard)
  @HashesPasswords()
  @ApiTooManyRequestsResponse({
    description: 'Too many attempts for this username or from this address in the last minute',
    type: ProblemDetailsDto,
  })
  async login(@Req() request: AuthenticatedRequest, @Body() _credentials: LoginDto): Promise<SessionDto> {
    const user = request.user as unknown as User;
    const csrfToken = await this.auth.startSession(request, user.id);
    return { user: UserDto.from(user), authMethod: 'session', csrfToken };
  }

  /** End the current session. */
  @Post('logout')
  @HttpCode(204)
  async logout(@Req() request: AuthenticatedRequest): Promise<void> {
    await this.auth.endSession(request);
  }

  /** Who is calling, how, and (for sessions) the CSRF token to send on changes. */
  @Get('me')
  async getMe(@Req() request: AuthenticatedRequest): Promise<SessionDto> {
    return this.auth.describe(request);
  }

  /** Change one's own password; every other session of the user ends. */
  @Patch('me/password')
  @HttpCode(204)
  @HashesPasswords()
  async changeMyPassword(
    @CurrentUser() user: AuthenticatedUser,
    @Req() request: AuthenticatedRequest,
    @Body() dto: ChangePasswordDto,
  ): Promise<void> {
    await this.auth.changePassword(
      user.id,
      dto,
      request.authMethod === 'session' ? request.sessionID : undefined,
    );
  }
}
