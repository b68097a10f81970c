import { ConflictException, Injectable, UnprocessableEntityException } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { InjectRepository } from '@nestjs/typeorm';
import { createHash } from 'node:crypto';
import { IsNull, LessThan, Repository } from 'typeorm';
import { IdempotencyKey } from './idempotency-key.entity';

/** A key whose first request never finished (its process died) may be reused after this. */
const ABANDONED_AFTER_MS = 60_000;
/** Keys are remembered this long. */
export const IDEMPOTENCY_KEY_TTL_MS = 24 * 3_600_000;

/** Metadata of an @Idempotent route: the response fields holding a secret shown once, redacted on replays. */
export const IDEMPOTENT_SECRETS = 'webhooker:idempotentSecrets';
/** Stands in a replayed response for a secret that was shown once, in the first response. */
export const REDACTED = '[redacted: shown once, in the first response]';
/** Response header of a replay naming the fields whose secret was replaced by REDACTED. */
export const REDACTED_HEADER = 'Idempotent-Redacted';

/** A copy of a response body with the `fields` that hold a value replaced by REDACTED, and those fields. */
export function redactSecrets(
  body: unknown,
  fields: readonly string[],
): { body: unknown; redacted: string[] } {
  if (fields.length === 0 || typeof body !== 'object' || body === null) return { body, redacted: [] };
  const copy: Record<string, unknown> = { ...body };
  const redacted = fields.filter((field) => copy[field] !== undefined && copy[field] !== null);
  for (const field of redacted) copy[field] = REDACTED;
  return { body: copy, redacted };
}

export type IdempotencyClaim = { kind: 'claimed' } | { kind: 'replay'; body: unknown };

export function requestHash(method: string, path: string, body: unknown): string {
  return createHash('sha256')
    .update(`${method} ${path}\n${JSON.stringify(body ?? null)}`)
    .digest('hex');
}

@Injectable()
export class IdempotencyService {
  constructor(@InjectRepository(IdempotencyKey) private readonly keys: Repository<IdempotencyKey>) {}

  /**
   * Claims `key` for this request, or returns the response to replay. The same key with a
   * different request is a 422; a key whose first request is still running is a 409.
   */
  async claim(userId: string, key: string, hash: string): Promise<IdempotencyClaim> {
    await this.keys.delete({
      userId,
      key,
      createdAt: LessThan(new Date(Date.now() - IDEMPOTENCY_KEY_TTL_MS)),
    });
    const inserted: unknown[] = await this.keys.query(
      `INSERT INTO idempotency_keys (user_id, key, request_hash) VALUES ($1, $2, $3)
       ON CONFLICT DO NOTHING RETURNING key`,
      [userId, key, hash],
    );
    if (inserted.length > 0) return { kind: 'claimed' };

    const existing = await this.keys.findOneByOrFail({ userId, key });
    if (existing.requestHash !== hash) {
      throw new UnprocessableEntityException(
        `Idempotency-Key "${key}" was already used with a different request; use a new key for a new request`,
      );
    }
    if (existing.responseStatus !== null) {
      return { kind: 'replay', body: existing.responseBody };
    }
    if (Date.now() - existing.createdAt.getTime() < ABANDONED_AFTER_MS) {
      throw new ConflictException(
        `A request with Idempotency-Key "${key}" is still being processed; retry shortly`,
      );
    }
    const taken = await this.keys.update(
      { userId, key, createdAt: existing.createdAt, responseStatus: IsNull() },
      { createdAt: new Date() },
    );
    if (!taken.affected)
      throw new ConflictException(`A request with Idempotency-Key "${key}" is still being processed`);
    return { kind: 'claimed' };
  }

  /** Forgets keys older than IDEMPOTENCY_KEY_TTL_MS, hourly. */
  @Interval('idempotency-key-cleanup', 3_600_000)
  async deleteExpired(): Promise<number> {
    const result = await this.keys.delete({
      createdAt: LessThan(new Date(Date.now() - IDEMPOTENCY_KEY_TTL_MS)),
    });
    return result.affected ?? 0;
  }

  async complete(userId: string, key: string, status: number, body: unknown): Promise<void> {
    await this.keys.update({ userId, key }, { responseStatus: status, responseBody: body as object });
  }

  /** The request failed: forget the key so that a retry runs again. */
  async release(userId: string, key: string): Promise<void> {
    await this.keys.delete({ userId, key });
  }
}
