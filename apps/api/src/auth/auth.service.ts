import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { Request } from 'express';
import { ValidationFailedException } from '../common/validation';
import { UserDto } from '../users/user.dto';
import { UsersService } from '../users/users.service';
import { ChangePasswordDto, SessionDto } from './auth.dto';
import type { AuthenticatedRequest } from './auth.types';

function promisify(call: (done: (err?: unknown) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => call((err) => (err ? reject(err) : resolve())));
}

@Injectable()
export class AuthService {
  constructor(private readonly users: UsersService) {}

  /** Starts a fresh session (a new id, against fixation) for the user; returns its CSRF token. */
  async startSession(request: Request, userId: string): Promise<string> {
    await promisify((done) => request.session.regenerate(done));
    request.session.userId = userId;
    request.session.csrfToken = randomBytes(24).toString('base64url');
    await promisify((done) => request.session.save(done));
    return request.session.csrfToken;
  }

  async endSession(request: Request): Promise<void> {
    if (request.session?.userId) await promisify((done) => request.session.destroy(done));
  }

  async describe(request: AuthenticatedRequest): Promise<SessionDto> {
    const user = await this.users.get(request.user.id);
    return {
      user: UserDto.from(user),
      authMethod: request.authMethod,
      csrfToken: request.authMethod === 'session' ? request.session.csrfToken : undefined,
    };
  }

  async changePassword(userId: string, dto: ChangePasswordDto, keepSessionId?: string): Promise<void> {
    const changed = await this.users.changePassword(
      userId,
      dto.currentPassword,
      dto.newPassword,
      keepSessionId,
    );
    if (!changed) {
      throw new ValidationFailedException([
        { field: 'currentPassword', message: 'Current password is not correct' },
      ]);
    }
  }
}
