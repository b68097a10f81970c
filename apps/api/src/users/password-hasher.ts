import {
  applyDecorators,
  ArgumentsHost,
  Catch,
  Inject,
  Injectable,
  ServiceUnavailableException,
  UseFilters,
} from '@nestjs/common';
import { ApiServiceUnavailableResponse } from '@nestjs/swagger';
import type { Response } from 'express';
import { ProblemDetailsDto } from '../common/problem-details';
import { ProblemDetailsFilter } from '../common/problem-details.filter';
import { APP_CONFIG, AppConfig } from '../config/config';
import { ConcurrencyLimiter, LimiterFullError } from '../common/concurrency-limiter';
import { hashPassword, needsRehash, SCRYPT_COST, ScryptCost, verifyPassword } from './password';
import { HasOwnLimits } from '../auth/auth.decorators';

/** Seconds a client refused for lack of hashing capacity is asked to wait. */
const RETRY_AFTER_SECONDS = 1;

/** Every password hashing slot and queue place is taken: 503 with Retry-After. */
export class PasswordHashingBusyException extends ServiceUnavailableException {
  constructor() {
    super('Too many logins and password changes at once; retry in a moment');
  }
}

/** Renders PasswordHashingBusyException as problem+json with a `Retry-After` header. */
@Catch(PasswordHashingBusyException)
class PasswordHashingBusyFilter extends ProblemDetailsFilter {
  override catch(exception: PasswordHashingBusyException, host: ArgumentsHost): void {
    host.switchToHttp().getResponse<Response>().setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
    super.catch(exception, host);
  }
}

/**
 * The route hashes a password: a 503 with `Retry-After` when hashing is saturated, documented; the
 * hashing limits are its own (not counted among the user's requests at once).
 */
export const HashesPasswords = () =>
  applyDecorators(
    HasOwnLimits(),
    UseFilters(PasswordHashingBusyFilter),
    ApiServiceUnavailableResponse({
      description: 'Too many password hashes at once; retry after the `Retry-After` seconds',
      type: ProblemDetailsDto,
    }),
  );

/**
 * Hashes and checks passwords with scrypt, at most PASSWORD_HASH_CONCURRENCY at once (scrypt runs
 * in libuv's thread pool, shared with file and DNS work) and PASSWORD_HASH_QUEUE waiting; beyond
 * that a request is refused at once with PasswordHashingBusyException.
 */
@Injectable()
export class PasswordHasher {
  /** The parameters of new hashes: OWASP's, unless INSECURE_SCRYPT_LOG2_N lowers N (tests only). */
  readonly cost: ScryptCost;
  private readonly limiter: ConcurrencyLimiter;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.cost =
      config.insecureScryptLog2N === undefined
        ? SCRYPT_COST
        : { ...SCRYPT_COST, N: 2 ** config.insecureScryptLog2N };
    this.limiter = new ConcurrencyLimiter(config.passwordHashConcurrency, config.passwordHashQueue);
  }

  /** A new hash of the password with the current parameters. */
  hash(password: string): Promise<string> {
    return this.limited(() => hashPassword(password, this.cost));
  }

  /** Whether the password matches the stored hash (checked with the parameters it carries). */
  verify(password: string, stored: string): Promise<boolean> {
    return this.limited(() => verifyPassword(password, stored));
  }

  /** Whether the stored hash was made with other parameters than the current ones. */
  needsRehash(stored: string): boolean {
    return needsRehash(stored, this.cost);
  }

  private async limited<T>(task: () => Promise<T>): Promise<T> {
    try {
      return await this.limiter.run(task);
    } catch (error) {
      if (error instanceof LimiterFullError) throw new PasswordHashingBusyException();
      throw error;
    }
  }
}
