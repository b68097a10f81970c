import { ExecutionContext, HttpException, HttpStatus, Injectable } from '@nestjs/common';
import {
  normalizeIp,
  ThrottlerGetTrackerFunction,
  ThrottlerGuard,
  ThrottlerLimitDetail,
  ThrottlerOptions,
} from '@nestjs/throttler';
import type { Request } from 'express';
import type { AppConfig } from '../config/config';

const LOGIN_THROTTLER = 'login';
const LOGIN_ADDRESS_THROTTLER = 'login-address';

/** The client address (`request.ip`), an IPv6 address widened to its /64 (one host usually holds the whole /64). */
function address(request: Request): string {
  return normalizeIp(request.ip ?? '');
}

/** Tracker of the per-address limit: one address, whatever the username. */
const addressTracker: ThrottlerGetTrackerFunction = (request) => `address:${address(request as Request)}`;

/** Tracker of the per-address and username limit. */
const usernameTracker: ThrottlerGetTrackerFunction = (request) => {
  const { body } = request as Request;
  const username = typeof body?.username === 'string' ? body.username.toLowerCase() : '';
  return `username:${address(request as Request)}|${username}`;
};

/**
 * The two login limits, per minute: LOGIN_RATE_LIMIT attempts for one address and username, and
 * LOGIN_RATE_LIMIT_PER_ADDRESS for one address trying any usernames.
 */
export function loginThrottlers(config: AppConfig): ThrottlerOptions[] {
  return [
    { name: LOGIN_THROTTLER, ttl: 60_000, limit: config.loginRateLimit, getTracker: usernameTracker },
    {
      name: LOGIN_ADDRESS_THROTTLER,
      ttl: 60_000,
      limit: config.loginRateLimitPerAddress,
      getTracker: addressTracker,
    },
  ];
}

/** Applies the login limits; 429 with a message saying which one was reached. */
@Injectable()
export class LoginThrottlerGuard extends ThrottlerGuard {
  protected override async throwThrottlingException(
    _context: ExecutionContext,
    { tracker }: ThrottlerLimitDetail,
  ): Promise<void> {
    throw new HttpException(
      tracker.startsWith('address:')
        ? 'Too many login attempts from this address; wait a minute and try again'
        : 'Too many login attempts; wait a minute and try again',
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}
