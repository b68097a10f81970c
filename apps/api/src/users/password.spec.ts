import {
  generatePassword,
  hashPassword,
  needsRehash,
  SCRYPT_COST,
  scryptMemory,
  verifyPassword,
} from './password';

describe('password hashing', () => {
  it('hashes with OWASP scrypt parameters by default (N = 2^17, r = 8, p = 1) and verifies them', async () => {
    expect(SCRYPT_COST).toEqual({ N: 131072, r: 8, p: 1 });
    const hash = await hashPassword('correct horse battery');
    expect(hash).toMatch(/^scrypt\$131072\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    await expect(verifyPassword('correct horse battery', hash)).resolves.toBe(true);
    await expect(verifyPassword('correct horse battery!', hash)).resolves.toBe(false);
    expect(needsRehash(hash)).toBe(false);
  });

  it('allows scrypt the 128 MiB the default cost needs (Node refuses above 32 MiB without maxmem)', () => {
    expect(scryptMemory(SCRYPT_COST)).toBeGreaterThan(128 * 2 ** 20);
    expect(scryptMemory(SCRYPT_COST)).toBeLessThan(130 * 2 ** 20);
  });

  it('verifies a hash made with the former parameters (N = 2^15) and marks it for a rehash', async () => {
    const old = await hashPassword('old password', { N: 2 ** 15, r: 8, p: 1 });
    expect(old).toMatch(/^scrypt\$32768\$8\$1\$/);
    await expect(verifyPassword('old password', old)).resolves.toBe(true);
    expect(needsRehash(old)).toBe(true);
    expect(needsRehash(old, { N: 2 ** 15, r: 8, p: 1 })).toBe(false);
  });

  it('salts every hash', async () => {
    const cheap = { N: 2 ** 10, r: 8, p: 1 };
    expect(await hashPassword('same', cheap)).not.toBe(await hashPassword('same', cheap));
  });

  it('rejects a stored value that is not an scrypt hash, or whose cost is out of bounds', async () => {
    const salt = Buffer.alloc(16).toString('base64');
    for (const stored of [
      'plain',
      `scrypt$1048577$8$1$${salt}$AAAA`,
      `scrypt$2097152$8$1$${salt}$AAAA`,
      `scrypt$1000$8$1$${salt}$AAAA`,
      `scrypt$1024$8$1$${salt}`,
    ]) {
      await expect(verifyPassword('x', stored)).resolves.toBe(false);
      expect(needsRehash(stored)).toBe(true);
    }
  });

  it('generates distinct 20-character passwords', () => {
    const a = generatePassword();
    expect(a).toMatch(/^[A-Za-z0-9_-]{20}$/);
    expect(generatePassword()).not.toBe(a);
  });
});
