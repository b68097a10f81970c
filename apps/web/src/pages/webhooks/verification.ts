import type {
  EntrypointDto,
  EntrypointVerificationDto,
  HmacAlgorithm,
  RejectionReason,
  VerificationPresetDto,
} from '@webhooker/api-client';
import { formatDuration } from '../../lib/format';

/** The settings that say how a sender is verified, as an entrypoint shows them or a preset fills them. */
type Scheme = Pick<
  EntrypointVerificationDto,
  | 'method'
  | 'header'
  | 'algorithm'
  | 'encoding'
  | 'prefix'
  | 'signatureFormat'
  | 'signedContent'
  | 'timestampHeader'
  | 'toleranceSeconds'
>;

const ALGORITHMS: Record<HmacAlgorithm, string> = {
  sha1: 'HMAC-SHA1',
  sha256: 'HMAC-SHA256',
  sha512: 'HMAC-SHA512',
};

/** The query parameter a `token` entrypoint also accepts its token in. */
export const TOKEN_QUERY_PARAMETER = 'token';
/** The header a `token` entrypoint reads unless told otherwise (the API's default). */
export const DEFAULT_TOKEN_HEADER = 'x-webhook-token';

/** What the sender must do to be let in, in a sentence. */
export function describeScheme(scheme: Scheme): string {
  if (scheme.method === 'none') return 'Anyone who knows the URL can send events.';
  if (scheme.method === 'token') {
    return `A shared token in the ${scheme.header ?? DEFAULT_TOKEN_HEADER} header, or in the URL as ?${TOKEN_QUERY_PARAMETER}=<token>.`;
  }
  if (scheme.method === 'basic') return 'HTTP Basic authentication: a username and the secret as password.';
  const content =
    !scheme.signedContent || scheme.signedContent === '{body}' ? 'the raw body' : `“${scheme.signedContent}”`;
  const where =
    scheme.signatureFormat === 'stripe'
      ? `in ${scheme.header} as t=<timestamp>,v1=<signature>`
      : scheme.signatureFormat === 'standard-webhooks'
        ? `in ${scheme.header} as v1,<signature>`
        : `in ${scheme.header}${scheme.prefix ? ` after “${scheme.prefix}”` : ''}`;
  const timestamp = scheme.timestampHeader ? `, the Unix time in ${scheme.timestampHeader}` : '';
  const tolerance =
    scheme.toleranceSeconds != null
      ? `; the timestamp may be ${formatDuration(scheme.toleranceSeconds * 1000)} off at most`
      : '';
  return `The ${scheme.encoding ?? 'hex'} ${ALGORITHMS[scheme.algorithm ?? 'sha256']} of ${content}, keyed with the secret, ${where}${timestamp}${tolerance}.`;
}

/** The name of an entrypoint's verification, for its badge: "GitHub signature", "Token", "Not verified". */
export function verificationLabel(
  verification: EntrypointVerificationDto,
  presets: VerificationPresetDto[] | undefined,
): string {
  const preset = verification.preset && presets?.find((candidate) => candidate.id === verification.preset);
  switch (verification.method) {
    case 'none':
      return 'Not verified';
    case 'token':
      return preset ? `${preset.name} token` : 'Token';
    case 'basic':
      return 'Basic auth';
    case 'hmac':
      return preset ? `${preset.name} signature` : 'HMAC signature';
  }
}

/** What every example sends: a small JSON event. */
const JSON_EVENT = `-H 'content-type: application/json' -d '{"hello":"world"}'`;

/** The curl command that POSTs a small JSON event to `url`, with `credentials` (curl options) when given. */
export function curlPost(url: string, credentials?: string): string {
  return credentials
    ? `curl -X POST ${url} ${credentials} ${JSON_EVENT}`
    : `curl -X POST ${url} ${JSON_EVENT}`;
}

/** The curl command that sends a test event to an entrypoint, with its credentials as placeholders. */
export function curlExample({ url, verification }: EntrypointDto): string {
  switch (verification.method) {
    case 'none':
      return curlPost(url);
    case 'token':
      return verification.header
        ? curlPost(url, `-H '${verification.header}: <token>'`)
        : curlPost(`'${url}?${TOKEN_QUERY_PARAMETER}=<token>'`);
    case 'basic':
      return curlPost(url, `-u '${verification.username ?? '<username>'}:<password>'`);
    case 'hmac':
      return curlPost(url, `-H '${verification.header}: ${signaturePlaceholder(verification)}'`);
  }
}

function signaturePlaceholder(verification: EntrypointVerificationDto): string {
  if (verification.signatureFormat === 'stripe') return 't=<timestamp>,v1=<signature>';
  if (verification.signatureFormat === 'standard-webhooks') return 'v1,<signature>';
  return `${verification.prefix ?? ''}<signature>`;
}

/** The failed check, in a few words. */
export const REJECTION_REASONS: Record<RejectionReason, string> = {
  missing: 'Credentials missing',
  malformed: 'Malformed credentials',
  timestamp_invalid: 'No valid timestamp',
  timestamp_expired: 'Timestamp too old or new',
  mismatch: 'Wrong secret',
};
