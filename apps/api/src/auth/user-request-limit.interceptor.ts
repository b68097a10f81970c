import {
  CallHandler,
  ExecutionContext,
  HttpException,
  HttpStatus,
  Inject,
  Injectable,
  NestInterceptor,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Response } from 'express';
import { from, lastValueFrom, Observable } from 'rxjs';
import { KeyedConcurrencyLimiter, LimiterFullError } from '../common/concurrency-limiter';
import { delayRefusal } from '../common/http';
import { APP_CONFIG, AppConfig } from '../config/config';
import { OWN_LIMITS } from './auth.decorators';
import type { AuthenticatedRequest } from './auth.types';

/** Seconds a user told to slow down is asked to wait. */
const RETRY_AFTER_SECONDS = 1;
/** The status logged for a request whose client went away while it waited (nginx's "client closed request"). */
const CLIENT_CLOSED_REQUEST = 499;

/**
 * Each user's API requests (with a session or any of their API keys) run at most
 * API_REQUESTS_PER_USER at once in this process, with API_QUEUED_PER_USER more waiting their
 * turn; beyond that `429` with Retry-After, a second late (delayRefusal). The database
 * connections and the event loop are shared with ingest and delivery for every user: a flood of
 * slow calls (searches, say) from one user holds only a few of them, and mostly slows that user.
 * A request whose client went away while it waited is dropped when its turn comes, not run. Not
 * counted: requests without a user (ingest, health, metrics) and routes with limits of their own
 * (@HasOwnLimits: logins and password changes, previews and test sends).
 */
@Injectable()
export class UserRequestLimitInterceptor implements NestInterceptor {
  private readonly limiter: KeyedConcurrencyLimiter;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly reflector: Reflector,
  ) {
    this.limiter = new KeyedConcurrencyLimiter(config.apiRequestsPerUser, config.apiQueuedPerUser);
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const userId = request.user?.id;
    const ownLimits = this.reflector.getAllAndOverride<boolean>(OWN_LIMITS, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!userId || ownLimits) return next.handle();
    const response = context.switchToHttp().getResponse<Response>();
    const handle = () => {
      if (request.socket.destroyed) {
        throw new HttpException(
          'The client went away while the request waited for its turn',
          CLIENT_CLOSED_REQUEST,
        );
      }
      return lastValueFrom(next.handle(), { defaultValue: undefined });
    };
    return from(this.run(userId, handle, response));
  }

  private async run<T>(userId: string, handle: () => Promise<T>, response: Response): Promise<T> {
    try {
      return await this.limiter.run(userId, handle);
    } catch (error) {
      if (!(error instanceof LimiterFullError)) throw error;
      await delayRefusal();
      response.setHeader('retry-after', String(RETRY_AFTER_SECONDS));
      throw new HttpException(
        `Too many requests of this user at once: ${this.config.apiRequestsPerUser} run and ` +
          `${this.config.apiQueuedPerUser} wait at most (API_REQUESTS_PER_USER, API_QUEUED_PER_USER); ` +
          'retry after the delay in Retry-After',
        HttpStatus.TOO_MANY_REQUESTS,
      );
    }
  }
}
