import { applyDecorators, SetMetadata, UseInterceptors } from '@nestjs/common';
import { ApiConflictResponse, ApiHeader, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import { ProblemDetailsDto } from '../common/problem-details';
import { IdempotencyInterceptor } from './idempotency.interceptor';
import { IDEMPOTENT_SECRETS, REDACTED, REDACTED_HEADER } from './idempotency.service';

const KEY_DESCRIPTION =
  'Any unique string (up to 255 characters), e.g. a UUID. Retrying with the same key and body returns the ' +
  'first response (with `Idempotent-Replayed: true`) instead of creating again; keys are remembered for 24 ' +
  'hours, per user.';

/**
 * The create call honours `Idempotency-Key`: the same key and body replay the first response
 * (with `Idempotent-Replayed: true`); the same key with another body is a 422. The response fields
 * named in `secrets` are shown once: a replay carries REDACTED in their place and names them in
 * the `Idempotent-Redacted` header.
 */
export const Idempotent = ({ secrets = [] }: { secrets?: string[] } = {}) =>
  applyDecorators(
    SetMetadata(IDEMPOTENT_SECRETS, secrets),
    UseInterceptors(IdempotencyInterceptor),
    ApiHeader({
      name: 'Idempotency-Key',
      required: false,
      description:
        secrets.length === 0
          ? KEY_DESCRIPTION
          : `${KEY_DESCRIPTION} The secret is shown once: a replay does not repeat it but carries ` +
            `"${REDACTED}" in ${secrets.map((field) => `\`${field}\``).join(', ')}, and names the field in ` +
            `the \`${REDACTED_HEADER}\` response header.`,
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
