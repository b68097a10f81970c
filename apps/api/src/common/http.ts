/** Methods that change nothing: no CSRF token needed, no configuration change. */
export const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** A UUID in its canonical text form (any version). */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The base of the `type` URI of every problem+json answer. */
export const PROBLEM_TYPE_BASE = 'https://webhooker.dev/problems/';

/** Request headers that carry credentials: never written to logs. */
export const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'x-api-key']);
