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
      embeddedPostgresPort: undefined,
      dbPingIntervalMs: 15_000,
      logLevel: 'info',
      logFormat: 'pretty',
      sessionTtlHours: 168,
      loginRateLimit: 10,
      trustProxy: false,
      allowPrivateTargets: false,
      allowedTargetCidrs: [],
      eventPurgeIntervalMs: 10_000,
      retentionIntervalMs: 3_600_000,
      role: 'all',
      instanceId: undefined,
      maxEventBytes: 1_048_576,
      deliveryConcurrency: 64,
      maxQueuedTasks: 10_000,
      leaseMs: 60_000,
      sweepIntervalMs: 1_000,
      shutdownGraceMs: 10_000,
      autoDisableAfterHours: 120,
    });
  });

  it('uses JSON logs in production and strips a trailing slash from PUBLIC_URL', () => {
    const config = loadConfig({ NODE_ENV: 'production', PUBLIC_URL: 'https://hooks.example.com/' });
    expect(config.logFormat).toBe('json');
    expect(config.publicUrl).toBe('https://hooks.example.com');
  });

  it('reads a list of allowed target ranges', () => {
    expect(loadConfig({ ALLOWED_TARGET_CIDRS: '10.1.0.0/16, fd00::/8' }).allowedTargetCidrs).toEqual([
      '10.1.0.0/16',
      'fd00::/8',
    ]);
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
    [
      { ALLOWED_TARGET_CIDRS: '10.0.0.0/8,nonsense' },
      'ALLOWED_TARGET_CIDRS must be a comma-separated list of CIDR ranges like 10.0.0.0/8,fd00::/8 (got "10.0.0.0/8,nonsense")',
    ],
    [
      { ALLOWED_TARGET_CIDRS: '10.0.0.0/33' },
      'ALLOWED_TARGET_CIDRS must be a comma-separated list of CIDR ranges like 10.0.0.0/8,fd00::/8 (got "10.0.0.0/33")',
    ],
    [{ EMBEDDED_POSTGRES_PORT: '0' }, 'EMBEDDED_POSTGRES_PORT must be an integer from 1 to 65535 (got "0")'],
    [{ DB_PING_INTERVAL_MS: '50' }, 'DB_PING_INTERVAL_MS must be an integer from 100 to 600000 (got "50")'],
    [{ ROLE: 'both' }, 'ROLE must be one of all, api, worker (got "both")'],
    [{ INSTANCE_ID: 'a b' }, 'INSTANCE_ID must be up to 64 letters, digits, ".", "_" or "-" (got "a b")'],
    [{ DELIVERY_CONCURRENCY: '0' }, 'DELIVERY_CONCURRENCY must be an integer from 1 to 10000 (got "0")'],
    [{ ADMIN_PASSWORD: 'short' }, 'ADMIN_PASSWORD must be at least 8 characters long (got "*****")'],
  ])('rejects %j with a message naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(new ConfigError(message));
  });
});
