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
      loginRateLimitPerAddress: 100,
      passwordHashConcurrency: 2,
      passwordHashQueue: 16,
      apiRequestsPerUser: 4,
      apiQueuedPerUser: 100,
      insecureScryptLog2N: undefined,
      metricsToken: undefined,
      trustProxy: false,
      allowPrivateTargets: false,
      allowedTargetCidrs: [],
      eventPurgeIntervalMs: 10_000,
      retentionIntervalMs: 3_600_000,
      role: 'all',
      instanceId: undefined,
      maxEventBytes: 1_048_576,
      deliveryConcurrency: 64,
      maxQueuedTasks: 20_000,
      maxQueuedBytes: 67_108_864,
      leaseMs: 60_000,
      sweepIntervalMs: 1_000,
      shutdownGraceMs: 10_000,
      autoDisableAfterHours: 120,
      ingestMaxPendingEvents: 10_000,
      ingestMaxPendingBytes: 67_108_864,
      routeCacheTtlMs: 30_000,
      transformTimeoutMs: 50,
      transformMemoryMb: 16,
      transformWorkers: 2,
      httpRequestTimeoutMs: 30_000,
      httpHeadersTimeoutMs: 10_000,
      httpKeepAliveTimeoutMs: 5_000,
      httpMaxConnections: 4_096,
      httpMaxConnectionsPerAddress: 512,
      alertIntervalMs: 300_000,
      backlogAlertThreshold: 1_000,
      backlogCheckIntervalMs: 60_000,
      dedupCleanupIntervalMs: 60_000,
    });
  });

  it.each([
    ['true', true],
    ['false', false],
    ['0', false],
    ['1', 1],
    ['2', 2],
    ['10.0.0.0/8, fd00::/8,192.0.2.1', ['10.0.0.0/8', 'fd00::/8', '192.0.2.1']],
    ['loopback,uniquelocal', ['loopback', 'uniquelocal']],
  ])('reads TRUST_PROXY=%s', (raw, expected) => {
    expect(loadConfig({ TRUST_PROXY: raw }).trustProxy).toEqual(expected);
  });

  it('keeps the pending ingest bytes at least one event and the headers timeout within the request timeout', () => {
    expect(loadConfig({ MAX_EVENT_BYTES: '104857600' }).ingestMaxPendingBytes).toBe(104_857_600);
    expect(loadConfig({ HTTP_REQUEST_TIMEOUT_MS: '5000' }).httpHeadersTimeoutMs).toBe(5_000);
  });

  it('uses JSON logs in production and strips a trailing slash from PUBLIC_URL', () => {
    const config = loadConfig({ NODE_ENV: 'production', PUBLIC_URL: 'https://hooks.example.com/' });
    expect(config.logFormat).toBe('json');
    expect(config.publicUrl).toBe('https://hooks.example.com');
  });

  it('reads the login, password hashing and metrics settings', () => {
    expect(
      loadConfig({
        LOGIN_RATE_LIMIT_PER_ADDRESS: '30',
        PASSWORD_HASH_CONCURRENCY: '1',
        PASSWORD_HASH_QUEUE: '0',
        API_REQUESTS_PER_USER: '8',
        API_QUEUED_PER_USER: '0',
        INSECURE_SCRYPT_LOG2_N: '12',
        METRICS_TOKEN: 'a-metrics-token-of-some-length',
      }),
    ).toMatchObject({
      loginRateLimitPerAddress: 30,
      passwordHashConcurrency: 1,
      passwordHashQueue: 0,
      apiRequestsPerUser: 8,
      apiQueuedPerUser: 0,
      insecureScryptLog2N: 12,
      metricsToken: 'a-metrics-token-of-some-length',
    });
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
    [
      { TRUST_PROXY: 'yes' },
      'TRUST_PROXY must be true, false, a number of proxy hops, or a comma-separated list of proxy addresses and CIDR ranges (or loopback, linklocal, uniquelocal) like 10.0.0.0/8,fd00::/8 (got "yes")',
    ],
    [
      { TRUST_PROXY: '10.0.0.0/33' },
      'TRUST_PROXY must be true, false, a number of proxy hops, or a comma-separated list of proxy addresses and CIDR ranges (or loopback, linklocal, uniquelocal) like 10.0.0.0/8,fd00::/8 (got "10.0.0.0/33")',
    ],
    [
      { TRUST_PROXY: '10.0.0.1,,10.0.0.2' },
      'TRUST_PROXY must be true, false, a number of proxy hops, or a comma-separated list of proxy addresses and CIDR ranges (or loopback, linklocal, uniquelocal) like 10.0.0.0/8,fd00::/8 (got "10.0.0.1,,10.0.0.2")',
    ],
    [
      { TRUST_PROXY: '1000' },
      'TRUST_PROXY must be true, false, a number of proxy hops, or a comma-separated list of proxy addresses and CIDR ranges (or loopback, linklocal, uniquelocal) like 10.0.0.0/8,fd00::/8 (got "1000")',
    ],
    [
      { INGEST_MAX_PENDING_EVENTS: '0' },
      'INGEST_MAX_PENDING_EVENTS must be an integer from 1 to 1000000 (got "0")',
    ],
    [
      { MAX_EVENT_BYTES: '2000', INGEST_MAX_PENDING_BYTES: '1000' },
      'INGEST_MAX_PENDING_BYTES must be an integer from 2000 to 17179869184 (got "1000")',
    ],
    [
      { MAX_QUEUED_BYTES: '65536' },
      'MAX_QUEUED_BYTES must be an integer from 1048576 to 17179869184 (got "65536")',
    ],
    [
      { ROUTE_CACHE_TTL_MS: '60001' },
      'ROUTE_CACHE_TTL_MS must be an integer from 100 to 60000 (got "60001")',
    ],
    [{ TRANSFORM_TIMEOUT_MS: '0' }, 'TRANSFORM_TIMEOUT_MS must be an integer from 1 to 10000 (got "0")'],
    [{ TRANSFORM_MEMORY_MB: '2048' }, 'TRANSFORM_MEMORY_MB must be an integer from 1 to 1024 (got "2048")'],
    [
      { HTTP_REQUEST_TIMEOUT_MS: '500' },
      'HTTP_REQUEST_TIMEOUT_MS must be an integer from 1000 to 3600000 (got "500")',
    ],
    [
      { HTTP_REQUEST_TIMEOUT_MS: '5000', HTTP_HEADERS_TIMEOUT_MS: '6000' },
      'HTTP_HEADERS_TIMEOUT_MS must be an integer from 1000 to 5000 (got "6000")',
    ],
    [
      { HTTP_KEEP_ALIVE_TIMEOUT_MS: '50' },
      'HTTP_KEEP_ALIVE_TIMEOUT_MS must be an integer from 100 to 600000 (got "50")',
    ],
    [
      { HTTP_MAX_CONNECTIONS: 'many' },
      'HTTP_MAX_CONNECTIONS must be an integer from 1 to 1000000 (got "many")',
    ],
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
    [
      { LOGIN_RATE_LIMIT_PER_ADDRESS: '0' },
      'LOGIN_RATE_LIMIT_PER_ADDRESS must be an integer from 1 to 100000 (got "0")',
    ],
    [
      { PASSWORD_HASH_CONCURRENCY: '0' },
      'PASSWORD_HASH_CONCURRENCY must be an integer from 1 to 64 (got "0")',
    ],
    [{ PASSWORD_HASH_QUEUE: '-1' }, 'PASSWORD_HASH_QUEUE must be an integer from 0 to 10000 (got "-1")'],
    [{ INSECURE_SCRYPT_LOG2_N: '9' }, 'INSECURE_SCRYPT_LOG2_N must be an integer from 10 to 17 (got "9")'],
    [
      { NODE_ENV: 'production', INSECURE_SCRYPT_LOG2_N: '12' },
      'INSECURE_SCRYPT_LOG2_N must be unset when NODE_ENV=production (got "12")',
    ],
    [{ METRICS_TOKEN: 'short' }, 'METRICS_TOKEN must be at least 16 characters long (got "*****")'],
  ])('rejects %j with a message naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(new ConfigError(message));
  });
});
