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
