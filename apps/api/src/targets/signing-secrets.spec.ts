import { isLive, newSigningSecret, rotate } from './signing-secrets';

describe('signing secrets', () => {
  const now = new Date('2026-11-23T12:00:00.000Z');

  it('generates Standard Webhooks secrets', () => {
    const secret = newSigningSecret(now);
    expect(secret.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.secret.slice(6), 'base64')).toHaveLength(32);
    expect(secret).toMatchObject({ createdAt: now.toISOString(), expiresAt: null });
  });

  it('puts the new secret first and lets the old one sign for the grace period', () => {
    const first = newSigningSecret(now);
    const { secrets, created } = rotate([first], 24, now);
    expect(secrets.map((s) => s.id)).toEqual([created.id, first.id]);
    expect(secrets[1]!.expiresAt).toBe('2026-11-24T12:00:00.000Z');
    expect(isLive(secrets[1]!, now.getTime())).toBe(true);
    expect(isLive(secrets[1]!, Date.parse('2026-11-24T12:00:00.001Z'))).toBe(false);
  });

  it('drops expired secrets and a zero grace period expires the old ones at once', () => {
    const expired = { ...newSigningSecret(now), expiresAt: '2026-11-23T11:00:00.000Z' };
    const current = newSigningSecret(now);
    const { secrets } = rotate([current, expired], 0, now);
    expect(secrets).toHaveLength(2);
    expect(secrets[1]!.id).toBe(current.id);
    expect(isLive(secrets[1]!, now.getTime())).toBe(false);
  });

  it('never lengthens a grace period that ends sooner', () => {
    const ending = { ...newSigningSecret(now), expiresAt: '2026-11-23T13:00:00.000Z' };
    const { secrets } = rotate([ending], 24, now);
    expect(secrets[1]!.expiresAt).toBe('2026-11-23T13:00:00.000Z');
  });
});
