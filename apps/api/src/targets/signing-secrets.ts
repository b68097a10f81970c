import { randomBytes, randomUUID } from 'node:crypto';
import type { SigningSecret } from './target.entity';

/** Secrets kept per target at most, the current one included. */
export const MAX_SIGNING_SECRETS = 10;
export const DEFAULT_GRACE_PERIOD_HOURS = 24;

/** A Standard Webhooks secret: `whsec_` and 32 random bytes in base64. */
export function newSigningSecret(now = new Date()): SigningSecret {
  return {
    id: randomUUID(),
    secret: `whsec_${randomBytes(32).toString('base64')}`,
    createdAt: now.toISOString(),
    expiresAt: null,
  };
}

/** True while the secret signs: it has no expiry yet, or its grace period has not ended. */
export function isLive(secret: SigningSecret, now = Date.now()): boolean {
  return secret.expiresAt === null || Date.parse(secret.expiresAt) > now;
}

/**
 * Puts a new secret first; the secrets in use keep signing for the grace period, expired ones are
 * dropped.
 */
export function rotate(
  secrets: SigningSecret[],
  gracePeriodHours: number,
  now = new Date(),
): { secrets: SigningSecret[]; created: SigningSecret } {
  const created = newSigningSecret(now);
  const graceEnds = new Date(now.getTime() + gracePeriodHours * 3_600_000).toISOString();
  const kept = secrets
    .filter((secret) => isLive(secret, now.getTime()))
    .map((secret) =>
      secret.expiresAt === null || secret.expiresAt > graceEnds
        ? { ...secret, expiresAt: graceEnds }
        : secret,
    );
  return { secrets: [created, ...kept].slice(0, MAX_SIGNING_SECRETS), created };
}
