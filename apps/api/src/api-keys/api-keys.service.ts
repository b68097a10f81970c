import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { createHash, randomBytes } from 'node:crypto';
import { IsNull, Repository } from 'typeorm';
import { Page, PageQueryDto, paginate } from '../common/pagination';
import { ApiKey } from './api-key.entity';

export const API_KEY_PREFIX = 'whk_';
/** What create makes: the prefix and 32 random bytes in base64url; anything else is not looked up. */
const API_KEY_FORMAT = /^whk_[A-Za-z0-9_-]{43}$/;
const DISPLAY_PREFIX_LENGTH = 12;
/** last_used_at is written at most this often per key, so authenticating stays a read. */
const LAST_USED_RESOLUTION_MS = 60_000;

function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

@Injectable()
export class ApiKeysService {
  constructor(@InjectRepository(ApiKey) private readonly keys: Repository<ApiKey>) {}

  /** Creates a key for the user; the returned `key` is never retrievable again. */
  async create(userId: string, name: string): Promise<{ apiKey: ApiKey; key: string }> {
    const key = API_KEY_PREFIX + randomBytes(32).toString('base64url');
    const apiKey = await this.keys.save(
      this.keys.create({
        userId,
        name,
        prefix: key.slice(0, DISPLAY_PREFIX_LENGTH),
        keyHash: hashKey(key),
        lastUsedAt: null,
      }),
    );
    return { apiKey, key };
  }

  async list(userId: string, page: PageQueryDto): Promise<Page<ApiKey>> {
    const query = this.keys.createQueryBuilder('key').where('key.userId = :userId', { userId });
    return paginate(query, page);
  }

  /** Revokes a key of the user at once; another user's key answers 404. */
  async revoke(userId: string, id: string): Promise<void> {
    const result = await this.keys.softDelete({ id, userId });
    if (!result.affected) throw new NotFoundException(`API key ${id} not found`);
  }

  /** Revokes every live key of the user at once; returns how many. */
  async revokeAll(userId: string): Promise<number> {
    const result = await this.keys.softDelete({ userId, deletedAt: IsNull() });
    return result.affected ?? 0;
  }

  /** The user owning `key` and the key's prefix, if the key exists and is not revoked. */
  async authenticate(key: string): Promise<{ userId: string; prefix: string } | null> {
    if (!API_KEY_FORMAT.test(key)) return null;
    const apiKey = await this.keys.findOneBy({ keyHash: hashKey(key) });
    if (!apiKey) return null;
    const now = Date.now();
    if (!apiKey.lastUsedAt || now - apiKey.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
      await this.keys.update({ id: apiKey.id }, { lastUsedAt: new Date(now) });
    }
    return { userId: apiKey.userId, prefix: apiKey.prefix };
  }
}
