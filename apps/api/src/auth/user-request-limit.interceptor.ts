import {
  CallHandler,
  ExecutionContext,
  HttpException,
  HttpStatus,
  Inject,
  Injectable,
  NestInterceptor,
} from '@nestjs/common';
import type { Response } from 'express';
import { from, lastValueFrom, Observable } from 'rxjs';
import { ConcurrencyLimiter, LimiterFullError } from '../common/concurrency-limiter';
import { APP_CONFIG, AppConfig } from '../config/config';
import type { AuthenticatedRequest } from './auth.types';

/** Seconds a user told to slow down is asked to wait. */
const RETRY_AFTER_SECONDS = 1;

/**
 * Each user's API requests (with a session or any of their API keys) run at most
 * API_REQUESTS_PER_USER at once, with API_QUEUED_PER_USER more waiting their turn; beyond that
 * `429` with Retry-After. The database connections and the event loop are shared with ingest and
 * delivery for every user: a flood of slow calls (searches, say) from one user holds only a few
 * of them, and mostly slows that user. Requests without a user (ingest, health, metrics, login)
 * are not counted here.
 */
@Injectable()
export class UserRequestLimitInterceptor implements NestInterceptor {
  private readonly limiters = new Map<string, ConcurrencyLimiter>();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const userId = context.switchToHttp().getRequest<AuthenticatedRequest>().user?.id;
    if (!userId) return next.handle();
    const response = context.switchToHttp().getResponse<Response>();
    return from(this.run(userId, () => lastValueFrom(next.handle(), { defaultValue: undefined }), response));
  }

  private async run<T>(userId: string, handle: () => Promise<T>, response: Response): Promise<T> {
    let limiter = this.limiters.get(userId);
    if (!limiter) {
      limiter = new ConcurrencyLimiter(this.config.apiRequestsPerUser, this.config.apiQueuedPerUser);
      this.limiters.set(userId, limiter);
    }
    try {
      return await limiter.run(handle);
    } catch (error) {
      if (!(error instanceof LimiterFullError)) throw error;
      response.setHeader('retry-after', String(RETRY_AFTER_SECONDS));
      throw new HttpException(
        `Too many requests of this user at once: ${this.config.apiRequestsPerUser} run and ` +
          `${this.config.apiQueuedPerUser} wait at most (API_REQUESTS_PER_USER, API_QUEUED_PER_USER); ` +
          'retry after the delay in Retry-After',
        HttpStatus.TOO_MANY_REQUESTS,
      );
    } finally {
      if (limiter.idle && this.limiters.get(userId) === limiter) this.limiters.delete(userId);
    }
  }
}
