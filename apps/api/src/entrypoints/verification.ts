import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { redactCredentials } from '../common/http';

export const VERIFICATION_METHODS = ['none', 'token', 'basic', 'hmac'] as const;
export type VerificationMethod = (typeof VERIFICATION_METHODS)[number];
export const HMAC_ALGORITHMS = ['sha1', 'sha256', 'sha512'] as const;
export type HmacAlgorithm = (typeof HMAC_ALGORITHMS)[number];
export const SIGNATURE_ENCODINGS = ['hex', 'base64'] as const;
export type SignatureEncoding = (typeof SIGNATURE_ENCODINGS)[number];
/**
 * How the signature header is written: `plain` (optional prefix, then one signature), `stripe`
 * (`t=<timestamp>,v1=<signature>[,v1=…]`) or `standard-webhooks` (`v1,<signature>` entries
 * separated by spaces; secrets are `whsec_` + base64 key).
 */
export const SIGNATURE_FORMATS = ['plain', 'stripe', 'standard-webhooks'] as const;
export type SignatureFormat = (typeof SIGNATURE_FORMATS)[number];
export const VERIFICATION_PRESETS = [
  'github',
  'stripe',
  'shopify',
  'slack',
  'gitlab',
  'standard-webhooks',
  'svix',
] as const;
export type VerificationPreset = (typeof VERIFICATION_PRESETS)[number];

/** Which check refused a request (the `reason` label of webhooker_ingest_rejected_total). */
export const REJECTION_REASONS = [
  'missing',
  'malformed',
  'timestamp_invalid',
  'timestamp_expired',
  'mismatch',
] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];

/** Default tolerance between a signed timestamp and the clock, both ways. */
export const DEFAULT_TOLERANCE_SECONDS = 300;
/** The query parameter a `token` entrypoint also accepts its token in. */
export const TOKEN_QUERY_PARAMETER = 'token';
/** The body's placeholder in a signed-content template. */
const BODY = '{body}';

/** A secret of an entrypoint's verification; live until `expiresAt` (null: current). */
export interface VerificationSecret {
  id: string;
  secret: string;
  createdAt: string;
  expiresAt: string | null;
}

/** An entrypoint's inbound verification as stored (`entrypoints.verification`; null: none). */
export interface VerificationConfig {
  method: Exclude<VerificationMethod, 'none'>;
  preset: VerificationPreset | null;
  /** token: the header carrying the token; hmac: the signature header (lower case). */
  header: string | null;
  /** basic: the username. */
  username: string | null;
  algorithm: HmacAlgorithm | null;
  encoding: SignatureEncoding | null;
  prefix: string | null;
  signatureFormat: SignatureFormat | null;
  /** What is signed: a template of `{body}`, `{timestamp}` and `{id}`. */
  signedContent: string | null;
  timestampHeader: string | null;
  idHeader: string | null;
  toleranceSeconds: number | null;
  /** Newest first; token, basic password or HMAC key. */
  secrets: VerificationSecret[];
}

/** The settings a preset fills (everything but the secrets and the username). */
export type VerificationFields = Omit<VerificationConfig, 'preset' | 'username' | 'secrets'>;

const HMAC_DEFAULTS = {
  method: 'hmac',
  header: null,
  algorithm: 'sha256',
  encoding: 'hex',
  prefix: null,
  signatureFormat: 'plain',
  signedContent: BODY,
  timestampHeader: null,
  idHeader: null,
  toleranceSeconds: null,
} satisfies VerificationFields;

const STANDARD_WEBHOOKS = {
  ...HMAC_DEFAULTS,
  encoding: 'base64',
  signatureFormat: 'standard-webhooks',
  signedContent: '{id}.{timestamp}.{body}',
  toleranceSeconds: DEFAULT_TOLERANCE_SECONDS,
} satisfies VerificationFields;

/** A provider's scheme: its name, where its secret is found, and the settings it fills. */
export interface PresetDefinition {
  name: string;
  secretDescription: string;
  fields: VerificationFields;
}

export const PRESETS: Record<VerificationPreset, PresetDefinition> = {
  github: {
    name: 'GitHub',
    secretDescription: 'The "Secret" of the GitHub webhook',
    fields: { ...HMAC_DEFAULTS, header: 'x-hub-signature-256', prefix: 'sha256=' },
  },
  stripe: {
    name: 'Stripe',
    secretDescription: 'The endpoint\'s signing secret ("whsec_…") in the Stripe dashboard',
    fields: {
      ...HMAC_DEFAULTS,
      header: 'stripe-signature',
      signatureFormat: 'stripe',
      signedContent: '{timestamp}.{body}',
      toleranceSeconds: DEFAULT_TOLERANCE_SECONDS,
    },
  },
  shopify: {
    name: 'Shopify',
    secretDescription: "The app's client secret (or the webhook signing key of the store)",
    fields: { ...HMAC_DEFAULTS, header: 'x-shopify-hmac-sha256', encoding: 'base64' },
  },
  slack: {
    name: 'Slack',
    secretDescription: 'The "Signing Secret" of the Slack app',
    fields: {
      ...HMAC_DEFAULTS,
      header: 'x-slack-signature',
      prefix: 'v0=',
      signedContent: 'v0:{timestamp}:{body}',
      timestampHeader: 'x-slack-request-timestamp',
      toleranceSeconds: DEFAULT_TOLERANCE_SECONDS,
    },
  },
  gitlab: {
    name: 'GitLab',
    secretDescription: 'The "Secret token" of the GitLab webhook',
    fields: {
      ...HMAC_DEFAULTS,
      method: 'token',
      header: 'x-gitlab-token',
      algorithm: null,
      encoding: null,
      signatureFormat: null,
      signedContent: null,
    },
  },
  'standard-webhooks': {
    name: 'Standard Webhooks',
    secretDescription: 'The sender\'s signing secret ("whsec_…" + base64)',
    fields: {
      ...STANDARD_WEBHOOKS,
      header: 'webhook-signature',
      timestampHeader: 'webhook-timestamp',
      idHeader: 'webhook-id',
    },
  },
  svix: {
    name: 'Svix',
    secretDescription: 'The endpoint\'s signing secret ("whsec_…") in the Svix app portal',
    fields: {
      ...STANDARD_WEBHOOKS,
      header: 'svix-signature',
      timestampHeader: 'svix-timestamp',
      idHeader: 'svix-id',
    },
  },
};

/** What a verifier looks at: the captured headers (names in lower case), raw query and body bytes. */
export interface VerifiableRequest {
  headers: Record<string, string>;
  query: string;
  body: Buffer;
}

/** Why a request was refused: the check (`reason`) and, for the entrypoint's owner only, a sentence. */
export interface Rejection {
  reason: RejectionReason;
  detail: string;
}

/** An entrypoint's verification compiled for the ingest hot path (held by the route cache). */
export interface Verifier {
  /** Null when the request verifies, otherwise why it does not. */
  verify(request: VerifiableRequest): Rejection | null;
  /** The headers with every credential (by name, and the headers this verification reads) redacted. */
  redact(headers: Record<string, string>): Record<string, string>;
}

/** The secret's key bytes: base64 after `whsec_` for Standard Webhooks, the UTF-8 text otherwise. */
export function secretKey(secret: string, format: SignatureFormat | null): Buffer {
  return format === 'standard-webhooks'
    ? Buffer.from(secret.replace(/^whsec_/, ''), 'base64')
    : Buffer.from(secret, 'utf8');
}

/** The placeholders of a signed-content template other than `{body}`, `{timestamp}` and `{id}`. */
export function unknownPlaceholders(template: string): string[] {
  return [...template.matchAll(/\{([^}]*)\}/g)]
    .map((match) => match[0])
    .filter((placeholder) => !['{body}', '{timestamp}', '{id}'].includes(placeholder));
}

/** Secret with its expiry in ms, for the hot path. */
interface LiveSecret<T> {
  value: T;
  expiresAt: number;
}

function liveSecrets<T>(secrets: VerificationSecret[], map: (secret: string) => T): LiveSecret<T>[] {
  return secrets.map((secret) => ({
    value: map(secret.secret),
    expiresAt: secret.expiresAt === null ? Infinity : Date.parse(secret.expiresAt),
  }));
}

const sha256 = (value: Buffer | string) => createHash('sha256').update(value).digest();

/** Constant-time comparison of a candidate with a secret's SHA-256 (lengths do not leak). */
function matchesDigest(candidate: string, digest: Buffer): boolean {
  return timingSafeEqual(sha256(candidate), digest);
}

const HEX = /^[0-9a-fA-F]+$/;
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;
const TIMESTAMP = /^\d{1,12}$/;

function decodeSignature(value: string, encoding: SignatureEncoding): Buffer | null {
  if (encoding === 'hex') return HEX.test(value) && value.length % 2 === 0 ? Buffer.from(value, 'hex') : null;
  return BASE64.test(value) ? Buffer.from(value, 'base64') : null;
}

function reject(reason: RejectionReason, detail: string): Rejection {
  return { reason, detail };
}

/** `token`: the token in the header, or else in `?token=`, equal to a live secret. */
function tokenVerifier(config: VerificationConfig, now: () => number): Verifier['verify'] {
  const header = config.header;
  const secrets = liveSecrets(config.secrets, sha256);
  return ({ headers, query }) => {
    const token =
      (header ? headers[header] : undefined) ??
      (query ? new URLSearchParams(query).get(TOKEN_QUERY_PARAMETER) : null);
    if (token == null || token === '') {
      return reject('missing', `no token in ${header ?? 'a header'} or in ?${TOKEN_QUERY_PARAMETER}=`);
    }
    const at = now();
    let matched = false;
    for (const secret of secrets) {
      if (secret.expiresAt > at && matchesDigest(token, secret.value)) matched = true;
    }
    return matched ? null : reject('mismatch', 'the token matches none of the live secrets');
  };
}

/** `basic`: `Authorization: Basic` with the username and a live secret as password. */
function basicVerifier(config: VerificationConfig, now: () => number): Verifier['verify'] {
  const username = sha256(config.username ?? '');
  const secrets = liveSecrets(config.secrets, sha256);
  return ({ headers }) => {
    const authorization = headers['authorization'];
    if (!authorization) return reject('missing', 'no Authorization header');
    const match = /^basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization);
    const decoded = match ? Buffer.from(match[1]!, 'base64').toString('utf8') : '';
    const colon = decoded.indexOf(':');
    if (colon === -1) return reject('malformed', 'the Authorization header is not Basic credentials');
    const userMatches = matchesDigest(decoded.slice(0, colon), username);
    const password = decoded.slice(colon + 1);
    const at = now();
    let matched = false;
    for (const secret of secrets) {
      if (secret.expiresAt > at && matchesDigest(password, secret.value)) matched = true;
    }
    return userMatches && matched
      ? null
      : reject('mismatch', 'the username or password matches no live credentials');
  };
}

/** The parts of a signed-content template, `{body}`/`{timestamp}`/`{id}` as markers. */
type Part = { text: string } | { field: 'body' | 'timestamp' | 'id' };

function parseTemplate(template: string): Part[] {
  return template
    .split(/(\{body\}|\{timestamp\}|\{id\})/)
    .filter((piece) => piece !== '')
    .map((piece) =>
      piece === '{body}'
        ? { field: 'body' }
        : piece === '{timestamp}'
          ? { field: 'timestamp' }
          : piece === '{id}'
            ? { field: 'id' }
            : { text: piece },
    );
}

/** The signatures and timestamp a signature header carries, or why it cannot be read. */
type ParsedHeader = { signatures: string[]; timestamp?: string } | Rejection;

function headerParser(config: VerificationConfig): (value: string) => ParsedHeader {
  const prefix = config.prefix ?? '';
  const header = config.header!;
  switch (config.signatureFormat) {
    case 'stripe':
      return (value) => {
        const signatures: string[] = [];
        let timestamp: string | undefined;
        for (const item of value.split(',')) {
          const equals = item.indexOf('=');
          const key = item.slice(0, equals).trim();
          if (key === 't') timestamp = item.slice(equals + 1).trim();
          else if (key === 'v1') signatures.push(item.slice(equals + 1).trim());
        }
        if (timestamp === undefined) return reject('timestamp_invalid', `${header} has no t= timestamp`);
        if (signatures.length === 0) return reject('malformed', `${header} has no v1= signature`);
        return { signatures, timestamp };
      };
    case 'standard-webhooks':
      return (value) => {
        const signatures = value
          .split(' ')
          .filter((entry) => entry.startsWith('v1,'))
          .map((entry) => entry.slice(3));
        return signatures.length > 0
          ? { signatures }
          : reject('malformed', `${header} has no v1,<signature> entry`);
      };
    default:
      return (value) =>
        value.startsWith(prefix)
          ? { signatures: [value.slice(prefix.length)] }
          : reject('malformed', `${header} does not start with "${prefix}"`);
  }
}

/** `hmac`: an HMAC of the signed content with a live secret equals one of the header's signatures. */
function hmacVerifier(config: VerificationConfig, now: () => number): Verifier['verify'] {
  const header = config.header!;
  const algorithm = config.algorithm ?? 'sha256';
  const encoding = config.encoding ?? 'hex';
  const parts = parseTemplate(config.signedContent ?? BODY);
  const parse = headerParser(config);
  const timestampHeader = config.timestampHeader;
  const idHeader = config.idHeader;
  const toleranceMs = (config.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS) * 1000;
  const checksTimestamp = timestampHeader !== null || config.signatureFormat === 'stripe';
  const secrets = liveSecrets(config.secrets, (secret) => secretKey(secret, config.signatureFormat));
  return ({ headers, body }) => {
    const value = headers[header];
    if (!value) return reject('missing', `no ${header} header`);
    const parsed = parse(value);
    if ('reason' in parsed) return parsed;
    const timestamp = timestampHeader ? headers[timestampHeader] : parsed.timestamp;
    const at = now();
    if (checksTimestamp) {
      if (!timestamp || !TIMESTAMP.test(timestamp)) {
        return reject('timestamp_invalid', `no timestamp in seconds in ${timestampHeader ?? header}`);
      }
      if (Math.abs(at - Number(timestamp) * 1000) > toleranceMs) {
        return reject('timestamp_expired', `the timestamp ${timestamp} is outside the tolerance`);
      }
    }
    const id = idHeader ? headers[idHeader] : undefined;
    if (idHeader && !id) return reject('missing', `no ${idHeader} header`);
    const candidates: Buffer[] = [];
    for (const signature of parsed.signatures) {
      const decoded = decodeSignature(signature, encoding);
      if (decoded) candidates.push(decoded);
    }
    if (candidates.length === 0) return reject('malformed', `${header} is not ${encoding}`);
    for (const secret of secrets) {
      if (secret.expiresAt <= at) continue;
      const hmac = createHmac(algorithm, secret.value);
      for (const part of parts) {
        if ('text' in part) hmac.update(part.text);
        else if (part.field === 'body') hmac.update(body);
        else hmac.update(part.field === 'timestamp' ? timestamp! : id!);
      }
      const expected = hmac.digest();
      for (const candidate of candidates) {
        if (candidate.length === expected.length && timingSafeEqual(candidate, expected)) return null;
      }
    }
    return reject('mismatch', `${header} matches none of the live secrets`);
  };
}

/** The headers a verification reads its credentials from (redacted wherever they are shown). */
function credentialHeaders(config: VerificationConfig): Set<string> {
  return new Set(config.method === 'basic' ? ['authorization'] : config.header ? [config.header] : []);
}

/** Compiles an entrypoint's verification for the hot path; null when there is none. */
export function compileVerifier(
  config: VerificationConfig | null | undefined,
  now: () => number = Date.now,
): Verifier | null {
  if (!config) return null;
  const verify =
    config.method === 'token'
      ? tokenVerifier(config, now)
      : config.method === 'basic'
        ? basicVerifier(config, now)
        : hmacVerifier(config, now);
  const secretHeaders = credentialHeaders(config);
  return {
    verify,
    redact: (headers) => {
      const redacted = redactCredentials(headers);
      for (const name of secretHeaders) if (name in redacted) redacted[name] = '[redacted]';
      return redacted;
    },
  };
}
