import { HttpException, HttpStatus, Injectable } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { Request } from 'express';

export const LOGIN_THROTTLER = 'login';

/** Limits login attempts per source address and username (LOGIN_RATE_LIMIT a minute). */
@Injectable()
export class LoginThrottlerGuard extends ThrottlerGuard {
  protected override async getTracker(request: Request): Promise<string> {
    const username = typeof request.body?.username === 'string' ? request.body.username.toLowerCase() : '';
    return `${request.ip}|${username}`;
  }

  protected override async throwThrottlingException(): Promise<void> {
    throw new HttpException(
      'Too many login attempts; wait a minute and try again',
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}
