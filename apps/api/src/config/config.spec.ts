import * as path from 'node:path';
import { ConfigError, loadConfig } from './config';

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig({}, '/srv/webhooker');
    expect(config).toMatchObject({
      nodeEnv: 'development',
      host: '0.0.0.0',
      port: 8080,
      publicUrl: 'http://localhost:8080',
      databaseUrl: undefined,
      dataDir: path.resolve('/srv/webhooker', 'data'),
      logLevel: 'info',
      logFormat: 'pretty',
      sessionTtlHours: 168,
      loginRateLimit: 10,
      trustProxy: false,
    });
  });

  it('uses JSON logs in production and strips a trailing slash from PUBLIC_URL', () => {
    const config = loadConfig({ NODE_ENV: 'production', PUBLIC_URL: 'https://hooks.example.com/' });
    expect(config.logFormat).toBe('json');
    expect(config.publicUrl).toBe('https://hooks.example.com');
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT must be an integer from 1 to 65535 (got "abc")'],
    [{ PORT: '70000' }, 'PORT must be an integer from 1 to 65535 (got "70000")'],
    [{ NODE_ENV: 'staging' }, 'NODE_ENV must be one of development, production, test (got "staging")'],
    [
      { DATABASE_URL: 'mysql://x' },
      'DATABASE_URL must be an absolute postgres or postgresql URL (got "mysql://x")',
    ],
    [{ PUBLIC_URL: 'not a url' }, 'PUBLIC_URL must be an absolute http or https URL (got "not a url")'],
    [
      { LOG_LEVEL: 'loud' },
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "loud")',
    ],
    [{ TRUST_PROXY: 'yes' }, 'TRUST_PROXY must be true or false (got "yes")'],
    [{ ADMIN_PASSWORD: 'short' }, 'ADMIN_PASSWORD must be at least 8 characters long (got "*****")'],
  ])('rejects %j with a message naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(new ConfigError(message));
  });
});
