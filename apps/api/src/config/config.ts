import * as path from 'node:path';

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
  embeddedPostgresPort: number;
  adminPassword: string | undefined;
  logLevel: LogLevel;
  logFormat: 'json' | 'pretty';
  sessionTtlHours: number;
  loginRateLimit: number;
  trustProxy: boolean;
}

export const APP_CONFIG = Symbol('APP_CONFIG');

/** A bad configuration value: the message names the variable and what is allowed. */
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
  return {
    nodeEnv,
    host: value(env, 'HOST') ?? '0.0.0.0',
    port,
    publicUrl,
    databaseUrl: url(env, 'DATABASE_URL', ['postgres', 'postgresql']),
    dataDir: path.resolve(cwd, value(env, 'DATA_DIR') ?? 'data'),
    embeddedPostgresPort: integer(env, 'EMBEDDED_POSTGRES_PORT', 54329, 1, 65535),
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
    trustProxy: boolean(env, 'TRUST_PROXY', false),
  };
}
