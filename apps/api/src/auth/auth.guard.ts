import {
  CanActivate,
  ExecutionContext,
  ForbiddenException,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { timingSafeEqual } from 'node:crypto';
import { ApiKeysService } from '../api-keys/api-keys.service';
import { UsersService } from '../users/users.service';
import { ADMIN_ONLY, IS_PUBLIC } from './auth.decorators';
import type { AuthenticatedRequest } from './auth.types';
import { delayRefusal, SAFE_METHODS } from '../common/http';

export const CSRF_HEADER = 'x-csrf-token';

function sameToken(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * The one guard: routes marked @Public() pass; every other route needs an API key
 * (`Authorization: Bearer whk_…`) or a dashboard session. State-changing requests made with a
 * session must carry the session's CSRF token in `X-CSRF-Token`. @AdminOnly() routes need the
 * admin role. An API key that is not valid is answered a second late (delayRefusal), so that a
 * client trying made-up keys on its connections mostly waits.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly users: UsersService,
    private readonly apiKeys: ApiKeysService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();

    const caller = await this.authenticate(request);
    const user = caller ? await this.users.findActive(caller.userId) : null;
    if (!user && caller?.apiKeyPrefix) await delayRefusal();
    if (!user) throw new UnauthorizedException('Log in or send an API key as "Authorization: Bearer whk_…"');
    request.user = { id: user.id, username: user.username, role: user.role };
    if (caller?.apiKeyPrefix) request.user.apiKeyPrefix = caller.apiKeyPrefix;

    if (this.reflector.getAllAndOverride<boolean>(ADMIN_ONLY, targets) && user.role !== 'admin') {
      throw new ForbiddenException('This needs the admin role');
    }
    return true;
  }

  private async authenticate(
    request: AuthenticatedRequest,
  ): Promise<{ userId: string; apiKeyPrefix?: string } | null> {
    const authorization = request.headers.authorization;
    if (authorization) {
      const [scheme, token] = authorization.split(' ');
      if (scheme?.toLowerCase() !== 'bearer' || !token) {
        throw new UnauthorizedException('Authorization must be "Bearer whk_…"');
      }
      const apiKey = await this.apiKeys.authenticate(token.trim());
      if (!apiKey) {
        await delayRefusal();
        throw new UnauthorizedException('The API key is not valid or has been revoked');
      }
      request.authMethod = 'api-key';
      return { userId: apiKey.userId, apiKeyPrefix: apiKey.prefix };
    }
    const session = request.session;
    if (!session?.userId) return null;
    if (!SAFE_METHODS.has(request.method)) {
      const token = request.headers[CSRF_HEADER];
      if (typeof token !== 'string' || !session.csrfToken || !sameToken(token, session.csrfToken)) {
        throw new ForbiddenException(
          `Missing or wrong ${CSRF_HEADER} header (the csrfToken of GET /api/v1/auth/me)`,
        );
      }
    }
    request.authMethod = 'session';
    return { userId: session.userId };
  }
}
