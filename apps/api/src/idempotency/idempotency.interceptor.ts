import {
  BadRequestException,
  CallHandler,
  ExecutionContext,
  Injectable,
  NestInterceptor,
} from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import type { Response } from 'express';
import { from, Observable, of, throwError } from 'rxjs';
import { catchError, mergeMap } from 'rxjs/operators';
import type { AuthenticatedRequest } from '../auth/auth.types';
import {
  IDEMPOTENT_SECRETS,
  IdempotencyService,
  REDACTED_HEADER,
  redactSecrets,
  requestHash,
} from './idempotency.service';

const HEADER = 'idempotency-key';
const MAX_KEY_LENGTH = 255;

/**
 * Applies `Idempotency-Key` semantics to a create route (see @Idempotent). The response is stored
 * with its shown-once secrets redacted, so a replay never returns them.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    private readonly idempotency: IdempotencyService,
    private readonly reflector: Reflector,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const response = context.switchToHttp().getResponse<Response>();
    const key = request.headers[HEADER];
    if (key === undefined) return next.handle();
    if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH) {
      return throwError(
        () => new BadRequestException(`Idempotency-Key must be 1 to ${MAX_KEY_LENGTH} characters long`),
      );
    }
    const userId = request.user.id;
    const status =
      this.reflector.get<number | undefined>(HTTP_CODE_METADATA, context.getHandler()) ??
      (request.method === 'POST' ? 201 : 200);
    const hash = requestHash(request.method, request.originalUrl, request.body);
    const secrets = this.reflector.get<string[] | undefined>(IDEMPOTENT_SECRETS, context.getHandler()) ?? [];

    return from(this.idempotency.claim(userId, key, hash)).pipe(
      mergeMap((claim) => {
        if (claim.kind === 'replay') {
          // Redacted again: responses stored before secrets were redacted on storing.
          const { body, redacted } = redactSecrets(claim.body, secrets);
          response.setHeader('Idempotent-Replayed', 'true');
          if (redacted.length > 0) response.setHeader(REDACTED_HEADER, redacted.join(', '));
          return of(body);
        }
        return next.handle().pipe(
          mergeMap((body) =>
            from(this.idempotency.complete(userId, key, status, redactSecrets(body, secrets).body)).pipe(
              mergeMap(() => of(body)),
            ),
          ),
          catchError((error) =>
            from(this.idempotency.release(userId, key)).pipe(mergeMap(() => throwError(() => error))),
          ),
        );
      }),
    );
  }
}
