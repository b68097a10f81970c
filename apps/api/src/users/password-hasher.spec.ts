import { loadConfig } from '../config/config';
import { SCRYPT_COST } from './password';
import { PasswordHasher } from './password-hasher';

describe('PasswordHasher', () => {
  it('uses the OWASP cost unless INSECURE_SCRYPT_LOG2_N lowers it', () => {
    expect(new PasswordHasher(loadConfig({})).cost).toEqual(SCRYPT_COST);
    expect(new PasswordHasher(loadConfig({ INSECURE_SCRYPT_LOG2_N: '12' })).cost).toEqual({
      N: 4096,
      r: 8,
      p: 1,
    });
  });

  it('marks hashes of other parameters for a rehash', async () => {
    const hasher = new PasswordHasher(loadConfig({ INSECURE_SCRYPT_LOG2_N: '10' }));
    const hash = await hasher.hash('secret-password');
    expect(hash).toMatch(/^scrypt\$1024\$8\$1\$/);
    expect(hasher.needsRehash(hash)).toBe(false);
    await expect(hasher.verify('secret-password', hash)).resolves.toBe(true);
    expect(new PasswordHasher(loadConfig({})).needsRehash(hash)).toBe(true);
  });
});
