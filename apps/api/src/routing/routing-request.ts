/** A request as filters and transforms see it: the body parsed when it is JSON or form data. */
export interface RoutingRequest {
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string>;
  body: unknown;
}

/** What a routing request is built from: an event as ingest captured it or as it is stored. */
export interface RoutingSource {
  method: string;
  path: string;
  /** The query string, without `?`. */
  query: string;
  headers: Record<string, string>;
  body: Buffer;
  contentType: string | null;
}

/** Bytes of a body that are parsed (or kept as text) at most; the rest is left out. */
export const ROUTING_BODY_LIMIT = 1024 * 1024;
/** Arrays and objects nested deeper than this leave a JSON body unparsed (it is given as text). */
export const MAX_BODY_DEPTH = 64;

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Whether JSON text nests arrays and objects deeper than `limit` (a linear scan, strings skipped). */
function nestsDeeper(bytes: Buffer, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) {
      inString = true;
    } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      if (++depth > limit) return true;
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

/** The media type of a Content-Type header, lower-case, without parameters. */
function mediaType(contentType: string | null): string {
  if (!contentType) return '';
  const end = contentType.indexOf(';');
  return (end === -1 ? contentType : contentType.slice(0, end)).trim().toLowerCase();
}

/** Name → value, or every value in order when a name is repeated; `__proto__` is a name like any other. */
function parameters(text: string): Record<string, string | string[]> {
  const result: Record<string, string | string[]> = Object.create(null);
  for (const [name, value] of new URLSearchParams(text)) {
    const previous = result[name];
    if (previous === undefined) result[name] = value;
    else if (Array.isArray(previous)) previous.push(value);
    else result[name] = [previous, value];
  }
  return result;
}

function text(bytes: Buffer): string {
  const decoded = bytes.toString('utf8');
  return decoded.charCodeAt(0) === 0xfeff ? decoded.slice(1) : decoded;
}

/**
 * The body for filters and transforms: parsed JSON (`application/json` or `…+json`) or form
 * fields (`application/x-www-form-urlencoded`), else text. Invalid UTF-8 becomes U+FFFD; JSON that
 * does not parse, or nests deeper than MAX_BODY_DEPTH, is given as text; at most
 * ROUTING_BODY_LIMIT bytes are read.
 */
export function routingBody(body: Buffer, contentType: string | null): unknown {
  const bytes = body.length > ROUTING_BODY_LIMIT ? body.subarray(0, ROUTING_BODY_LIMIT) : body;
  const type = mediaType(contentType);
  const decoded = text(bytes);
  if (type === 'application/x-www-form-urlencoded') return parameters(decoded);
  if (
    (type === 'application/json' || type.endsWith('+json')) &&
    bytes === body &&
    !nestsDeeper(bytes, MAX_BODY_DEPTH)
  ) {
    try {
      return JSON.parse(decoded) as unknown;
    } catch {
      return decoded;
    }
  }
  return decoded;
}

/** The routing request of an event. */
export function routingRequest(source: RoutingSource): RoutingRequest {
  const headers: Record<string, string> = Object.create(null);
  for (const [name, value] of Object.entries(source.headers)) headers[name] = value;
  return {
    method: source.method,
    path: source.path,
    query: parameters(source.query),
    headers,
    body: routingBody(source.body, source.contentType),
  };
}
