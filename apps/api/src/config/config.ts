import * as path from 'node:path';
import { isIpRange } from '../common/ip-ranges';
import { isProxyRange, ProxyTrustSetting } from '../common/proxy-trust';

export type NodeEnv = 'development' | 'production' | 'test';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** Everything webhooker reads from its environment, validated once at start. */
export interface AppConfig {
  nodeEnv: NodeEnv;
  host: string;
  port: number;
  publicUrl: string;
  databaseUrl: string | undefined;
  dataDir: string;
  /** Set: the embedded PostgreSQL listens on this TCP port of 127.0.0.1 instead of a socket in DATA_DIR. */
  embeddedPostgresPort: number | undefined;
  /** How often long-lived database connections are pinged; an unanswered ping drops and re-opens them. */
  dbPingIntervalMs: number;
  adminPassword: string | undefined;
  logLevel: LogLevel;
  logFormat: 'json' | 'pretty';
  sessionTtlHours: number;
  loginRateLimit: number;
  /** Login attempts a minute from one address, whatever the username. */
  loginRateLimitPerAddress: number;
  /** Password hashes computed at once at most (each holds a libuv thread and 128 MiB). */
  passwordHashConcurrency: number;
  /** Password hashes waiting for a slot at most; more are refused with 503. */
  passwordHashQueue: number;
  /** API requests of one user (session or API key) running at once at most. */
  apiRequestsPerUser: number;
  /** API requests of one user waiting for a slot at most; more are refused with 429. */
  apiQueuedPerUser: number;
  /** Tests and development only: log2 of the scrypt cost N of new hashes instead of 17. */
  insecureScryptLog2N: number | undefined;
  /** When set, `GET /metrics` needs `Authorization: Bearer <token>`. */
  metricsToken: string | undefined;
  trustProxy: ProxyTrustSetting;
  allowPrivateTargets: boolean;
  allowedTargetCidrs: string[];
  eventPurgeIntervalMs: number;
  retentionIntervalMs: number;
  role: 'all' | 'api' | 'worker';
  instanceId: string | undefined;
  maxEventBytes: number;
  deliveryConcurrency: number;
  maxQueuedTasks: number;
  /** What the events of the deliveries held in memory may weigh together (each event once), bytes. */
  maxQueuedBytes: number;
  leaseMs: number;
  sweepIntervalMs: number;
  shutdownGraceMs: number;
  autoDisableAfterHours: number;
  circuitCooldownMs: number;
  ingestMaxPendingEvents: number;
  ingestMaxPendingBytes: number;
  routeCacheTtlMs: number;
  /** CPU time of one run of a target's transform. */
  transformTimeoutMs: number;
  /** Memory of one compiled transform, MiB. */
  transformMemoryMb: number;
  /** Worker threads running transforms. */
  transformWorkers: number;
  httpRequestTimeoutMs: number;
  httpHeadersTimeoutMs: number;
  httpKeepAliveTimeoutMs: number;
  httpMaxConnections: number;
  httpMaxConnectionsPerAddress: number;
  /** Rate-limited alerts (delivery.failed, entrypoint.verification_failed): one per subject per this interval. */
  alertIntervalMs: number;
  /** Waiting deliveries of a webhook that raise webhook.backlog_high (re-armed below half). */
  backlogAlertThreshold: number;
  /** How often waiting deliveries are counted for webhook.backlog_high. */
  backlogCheckIntervalMs: number;
  /** How often the dedup keys whose window has passed are deleted. */
  dedupCleanupIntervalMs: number;
  /** How often new events, attempts and outcomes are added to the statistics rollups. */
  statsRollupIntervalMs: number;
  /** How often the events received since the last run are added to the event search index. */
  searchIndexIntervalMs: number;
}

export const APP_CONFIG = Symbol('APP_CONFIG');

/** A bad configuration value or a clash with another instance: the message names the variable. */
export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function value(env: Env, name: string): string | undefined {
  const raw = env[name];
  return raw === undefined || raw.trim() === '' ? undefined : raw.trim();
}

function fail(name: string, allowed: string, got: string): never {
  throw new ConfigError(`${name} must be ${allowed} (got "${got}")`);
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = value(env, name);
  if (raw === undefined) return fallback;
  const parsed = Number(raw);
  if (!/^-?\d+$/.test(raw) || parsed < min || parsed > max) {
    fail(name, `an integer from ${min} to ${max}`, raw);
  }
  return parsed;
}

function optionalInteger(env: Env, name: string, min: number, max: number): number | undefined {
  return value(env, name) === undefined ? undefined : integer(env, name, 0, min, max);
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = value(env, name);
  if (raw === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(raw)) fail(name, `one of ${allowed.join(', ')}`, raw);
  return raw as T;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = value(env, name);
  if (raw === undefined) return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  return fail(name, 'true or false', raw);
}

/** INSECURE_SCRYPT_LOG2_N: a lower password hashing cost for tests, refused in production. */
function insecureScryptLog2N(env: Env, nodeEnv: NodeEnv): number | undefined {
  if (value(env, 'INSECURE_SCRYPT_LOG2_N') === undefined) return undefined;
  if (nodeEnv === 'production') {
    fail('INSECURE_SCRYPT_LOG2_N', 'unset when NODE_ENV=production', value(env, 'INSECURE_SCRYPT_LOG2_N')!);
  }
  return integer(env, 'INSECURE_SCRYPT_LOG2_N', 17, 10, 17);
}

/** METRICS_TOKEN: a bearer token of 16 or more characters, or unset. */
function metricsToken(env: Env): string | undefined {
  const raw = value(env, 'METRICS_TOKEN');
  if (raw !== undefined && raw.length < 16)
    fail('METRICS_TOKEN', 'at least 16 characters long', '*'.repeat(raw.length));
  return raw;
}

function url(env: Env, name: string, protocols: string[]): string | undefined {
  const raw = value(env, name);
  if (raw === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    return fail(name, `an absolute ${protocols.join(' or ')} URL`, raw);
  }
  if (!protocols.includes(parsed.protocol.replace(/:$/, ''))) {
    fail(name, `an absolute ${protocols.join(' or ')} URL`, raw);
  }
  return raw;
}

function instanceId(env: Env): string | undefined {
  const raw = value(env, 'INSTANCE_ID');
  if (raw !== undefined && !/^[A-Za-z0-9._-]{1,64}$/.test(raw)) {
    fail('INSTANCE_ID', 'up to 64 letters, digits, ".", "_" or "-"', raw);
  }
  return raw;
}

function cidrList(env: Env, name: string): string[] {
  const raw = value(env, name);
  if (raw === undefined) return [];
  const cidrs = raw.split(',').map((part) => part.trim());
  if (!cidrs.every((cidr) => isIpRange(cidr))) {
    fail(name, 'a comma-separated list of CIDR ranges like 10.0.0.0/8,fd00::/8', raw);
  }
  return cidrs;
}

/** TRUST_PROXY: true, false, a number of proxy hops, or a list of proxy addresses and ranges. */
function proxyTrust(env: Env): ProxyTrustSetting {
  const raw = value(env, 'TRUST_PROXY');
  if (raw === undefined || raw === 'false') return false;
  if (raw === 'true') return true;
  if (/^\d{1,3}$/.test(raw)) return Number(raw) === 0 ? false : Number(raw);
  const entries = raw.split(',').map((entry) => entry.trim());
  if (!entries.every(isProxyRange)) {
    fail(
      'TRUST_PROXY',
      'true, false, a number of proxy hops, or a comma-separated list of proxy addresses and CIDR ranges ' +
        '(or loopback, linklocal, uniquelocal) like 10.0.0.0/8,fd00::/8',
      raw,
    );
  }
  return entries;
}

/** Reads and validates the configuration; throws ConfigError on the first bad variable. */
export function loadConfig(env: Env = process.env, cwd = process.cwd()): AppConfig {
  const nodeEnv = oneOf(env, 'NODE_ENV', ['development', 'production', 'test'] as const, 'development');
  const port = integer(env, 'PORT', 8080, 1, 65535);
  const adminPassword = value(env, 'ADMIN_PASSWORD');
  if (adminPassword !== undefined && adminPassword.length < 8) {
    fail('ADMIN_PASSWORD', 'at least 8 characters long', '*'.repeat(adminPassword.length));
  }
  const publicUrl = (url(env, 'PUBLIC_URL', ['http', 'https']) ?? `http://localhost:${port}`).replace(
    /\/+$/,
    '',
  );
  const maxEventBytes = integer(env, 'MAX_EVENT_BYTES', 1_048_576, 1, 104_857_600);
  const ingestMaxPendingBytes = integer(
    env,
    'INGEST_MAX_PENDING_BYTES',
    Math.max(67_108_864, maxEventBytes),
    maxEventBytes,
    17_179_869_184,
  );
  const httpRequestTimeoutMs = integer(env, 'HTTP_REQUEST_TIMEOUT_MS', 30_000, 1_000, 3_600_000);
  const httpHeadersTimeoutMs = integer(
    env,
    'HTTP_HEADERS_TIMEOUT_MS',
    Math.min(10_000, httpRequestTimeoutMs),
    1_000,
    httpRequestTimeoutMs,
  );
  return {
    nodeEnv,
    host: value(env, 'HOST') ?? '0.0.0.0',
    port,
    publicUrl,
    databaseUrl: url(env, 'DATABASE_URL', ['postgres', 'postgresql']),
    dataDir: path.resolve(cwd, value(env, 'DATA_DIR') ?? 'data'),
    embeddedPostgresPort: optionalInteger(env, 'EMBEDDED_POSTGRES_PORT', 1, 65535),
    dbPingIntervalMs: integer(env, 'DB_PING_INTERVAL_MS', 15_000, 100, 600_000),
    adminPassword,
    logLevel: oneOf(
      env,
      'LOG_LEVEL',
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const,
      'info',
    ),
    logFormat: oneOf(
      env,
      'LOG_FORMAT',
      ['json', 'pretty'] as const,
      nodeEnv === 'production' ? 'json' : 'pretty',
    ),
    sessionTtlHours: integer(env, 'SESSION_TTL_HOURS', 168, 1, 8760),
    loginRateLimit: integer(env, 'LOGIN_RATE_LIMIT', 10, 1, 10000),
    loginRateLimitPerAddress: integer(env, 'LOGIN_RATE_LIMIT_PER_ADDRESS', 100, 1, 100_000),
    passwordHashConcurrency: integer(env, 'PASSWORD_HASH_CONCURRENCY', 2, 1, 64),
    passwordHashQueue: integer(env, 'PASSWORD_HASH_QUEUE', 16, 0, 10_000),
    apiRequestsPerUser: integer(env, 'API_REQUESTS_PER_USER', 4, 1, 1_000),
    apiQueuedPerUser: integer(env, 'API_QUEUED_PER_USER', 100, 0, 100_000),
    insecureScryptLog2N: insecureScryptLog2N(env, nodeEnv),
    metricsToken: metricsToken(env),
    trustProxy: proxyTrust(env),
    allowPrivateTargets: boolean(env, 'ALLOW_PRIVATE_TARGETS', false),
    allowedTargetCidrs: cidrList(env, 'ALLOWED_TARGET_CIDRS'),
    eventPurgeIntervalMs: integer(env, 'EVENT_PURGE_INTERVAL_MS', 10_000, 100, 3_600_000),
    retentionIntervalMs: integer(env, 'RETENTION_INTERVAL_MS', 3_600_000, 1_000, 86_400_000),
    role: oneOf(env, 'ROLE', ['all', 'api', 'worker'] as const, 'all'),
    instanceId: instanceId(env),
    maxEventBytes,
    deliveryConcurrency: integer(env, 'DELIVERY_CONCURRENCY', 64, 1, 10_000),
    maxQueuedTasks: integer(env, 'MAX_QUEUED_TASKS', 20_000, 10, 1_000_000),
    maxQueuedBytes: integer(env, 'MAX_QUEUED_BYTES', 67_108_864, 1_048_576, 17_179_869_184),
    leaseMs: integer(env, 'LEASE_MS', 60_000, 1_000, 3_600_000),
    sweepIntervalMs: integer(env, 'SWEEP_INTERVAL_MS', 1_000, 10, 600_000),
    shutdownGraceMs: integer(env, 'SHUTDOWN_GRACE_MS', 10_000, 0, 600_000),
    autoDisableAfterHours: integer(env, 'AUTO_DISABLE_AFTER_HOURS', 120, 1, 87_600),
    circuitCooldownMs: integer(env, 'CIRCUIT_COOLDOWN_MS', 30_000, 100, 3_600_000),
    ingestMaxPendingEvents: integer(env, 'INGEST_MAX_PENDING_EVENTS', 10_000, 1, 1_000_000),
    ingestMaxPendingBytes,
    routeCacheTtlMs: integer(env, 'ROUTE_CACHE_TTL_MS', 30_000, 100, 60_000),
    transformTimeoutMs: integer(env, 'TRANSFORM_TIMEOUT_MS', 50, 1, 10_000),
    transformMemoryMb: integer(env, 'TRANSFORM_MEMORY_MB', 16, 1, 1_024),
    transformWorkers: integer(env, 'TRANSFORM_WORKERS', 2, 1, 64),
    httpRequestTimeoutMs,
    httpHeadersTimeoutMs,
    httpKeepAliveTimeoutMs: integer(env, 'HTTP_KEEP_ALIVE_TIMEOUT_MS', 5_000, 100, 600_000),
    httpMaxConnections: integer(env, 'HTTP_MAX_CONNECTIONS', 4_096, 1, 1_000_000),
    httpMaxConnectionsPerAddress: integer(env, 'HTTP_MAX_CONNECTIONS_PER_ADDRESS', 512, 1, 1_000_000),
    alertIntervalMs: integer(env, 'ALERT_INTERVAL_MS', 300_000, 100, 86_400_000),
    backlogAlertThreshold: integer(env, 'BACKLOG_ALERT_THRESHOLD', 1_000, 2, 100_000_000),
    backlogCheckIntervalMs: integer(env, 'BACKLOG_CHECK_INTERVAL_MS', 60_000, 100, 3_600_000),
    dedupCleanupIntervalMs: integer(env, 'DEDUP_CLEANUP_INTERVAL_MS', 60_000, 100, 3_600_000),
    statsRollupIntervalMs: integer(env, 'STATS_ROLLUP_INTERVAL_MS', 5_000, 100, 3_600_000),
    searchIndexIntervalMs: integer(env, 'SEARCH_INDEX_INTERVAL_MS', 1_000, 100, 3_600_000),
  };
}
