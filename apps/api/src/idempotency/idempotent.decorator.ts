import { applyDecorators, UseInterceptors } from '@nestjs/common';
import { ApiConflictResponse, ApiHeader, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import { ProblemDetailsDto } from '../common/problem-details';
import { IdempotencyInterceptor } from './idempotency.interceptor';

/**
 * The create call honours `Idempotency-Key`: the same key and body replay the first response
 * (with `Idempotent-Replayed: true`); the same key with another body is a 422.
 */
export const Idempotent = () =>
  applyDecorators(
    UseInterceptors(IdempotencyInterceptor),
    ApiHeader({
      name: 'Idempotency-Key',
      required: false,
      description:
        'Any unique string (up to 255 characters), e.g. a UUID. Retrying with the same key and body returns the ' +
        'first response instead of creating again; keys are remembered for 24 hours, per user.',
    }),
    ApiUnprocessableEntityResponse({
      description: 'The Idempotency-Key was used with another request',
      type: ProblemDetailsDto,
    }),
    ApiConflictResponse({
      description: 'A request with this Idempotency-Key is still running',
      type: ProblemDetailsDto,
    }),
  );
