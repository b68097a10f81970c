/** Methods that change nothing: no CSRF token needed, no configuration change. */
export const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** A UUID in its canonical text form (any version). */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The base of the `type` URI of every problem+json answer. */
export const PROBLEM_TYPE_BASE = 'https://webhooker.dev/problems/';

/** Request headers that carry credentials by name. */
const CREDENTIAL_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'api-key',
]);
/** Parts of a header name that mark a credential or a signature (`x-gitlab-token`, `stripe-signature`, `x-shopify-hmac-sha256`…). */
const CREDENTIAL_NAME_PARTS = /token|signature|secret|password|hmac|auth|api-?key|session/;

/** Whether a header (name in lower case) carries a credential or a signature: never written to logs. */
export function isCredentialHeader(name: string): boolean {
  return CREDENTIAL_HEADERS.has(name) || CREDENTIAL_NAME_PARTS.test(name);
}

/** The headers with every credential's value replaced by `[redacted]`. */
export function redactCredentials(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [
      name,
      isCredentialHeader(name.toLowerCase()) ? '[redacted]' : value,
    ]),
  );
}

/**
 * How long a refused API request (429 over a user's limit, 401 for an API key that is not valid)
 * waits for its answer: a client that sends its next request as soon as one is answered spends its
 * connections waiting instead of the event loop's time.
 */
const REFUSAL_DELAY_MS = 1_000;

export function delayRefusal(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, REFUSAL_DELAY_MS));
}
