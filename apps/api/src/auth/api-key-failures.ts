import { Inject, Injectable } from '@nestjs/common';
import { InjectThrottlerStorage, normalizeIp, ThrottlerStorage } from '@nestjs/throttler';
import { APP_CONFIG, type AppConfig } from '../config/config';

const WINDOW_MS = 60_000;
const THROTTLER_NAME = 'api-key-failures';
/** Keys that authenticated lately, and blocked addresses, remembered at most (the oldest are forgotten first). */
const REMEMBERED = 10_000;

/**
 * Requests with an API key that is not valid (unknown, revoked, malformed, or of a disabled user),
 * counted per client address (IPv6: per /64). Beyond API_KEY_FAILURES_PER_ADDRESS in a minute the
 * address's API-key requests are refused with 429 for a minute before any database lookup, so
 * guessing keys costs the database nothing. Keys that authenticated within the last minute are
 * still looked up (a revoked one is refused as always), so the valid clients behind one address,
 * such as a proxy that TRUST_PROXY does not name, keep working.
 */
@Injectable()
export class ApiKeyFailures {
  private readonly blockedUntil = new Map<string, number>();
  /** Hashes of keys that authenticated, with when that stops counting. */
  private readonly recentKeys = new Map<string, number>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectThrottlerStorage() private readonly storage: ThrottlerStorage,
  ) {}

  /** Seconds until the address may send this key again; 0 when it may now. */
  blockedFor(ip: string | undefined, keyHash: string): number {
    const address = normalizeIp(ip ?? '');
    const until = this.blockedUntil.get(address);
    if (until === undefined) return 0;
    const now = Date.now();
    if (until <= now) {
      this.blockedUntil.delete(address);
      return 0;
    }
    if ((this.recentKeys.get(keyHash) ?? 0) > now) return 0;
    return Math.ceil((until - now) / 1000);
  }

  async failed(ip: string | undefined): Promise<void> {
    const address = normalizeIp(ip ?? '');
    const record = await this.storage.increment(
      `${THROTTLER_NAME}:${address}`,
      WINDOW_MS,
      // blocked once the hits pass the limit: at the last failure allowed
      this.config.apiKeyFailuresPerAddress - 1,
      WINDOW_MS,
      THROTTLER_NAME,
    );
    if (!record.isBlocked) return;
    this.blockedUntil.delete(address);
    this.blockedUntil.set(address, Date.now() + record.timeToBlockExpire * 1000);
    forgetOldest(this.blockedUntil);
  }

  succeeded(keyHash: string): void {
    this.recentKeys.delete(keyHash);
    this.recentKeys.set(keyHash, Date.now() + WINDOW_MS);
    forgetOldest(this.recentKeys);
  }
}

function forgetOldest(entries: Map<string, number>): void {
  if (entries.size > REMEMBERED) entries.delete(entries.keys().next().value!);
}
