/** Bounds and default of an entrypoint's deduplication window, in seconds. */
export const DEDUP_WINDOW = { default: 86_400, min: 60, max: 30 * 86_400 };

/** An HTTP header name (RFC 9110 token), at most 100 characters. */
export const DEDUP_HEADER_PATTERN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/;

/**
 * The JSON paths a key may be read from: `$` followed by one or more `.name` (letters, digits,
 * `_`, `-`) or `[index]` steps, at most 200 characters: `$.id`, `$.data.object.id`, `$.events[0].id`.
 */
export const DEDUP_JSON_PATH_PATTERN = /^\$(?:\.[A-Za-z0-9_-]+|\[\d{1,6}\])+$/;
export const MAX_DEDUP_JSON_PATH_LENGTH = 200;

/** How an entrypoint recognises a duplicate, as stored on the entrypoint row (exactly one source). */
export interface DedupSetting {
  header: string | null;
  jsonPath: string | null;
  windowSeconds: number;
}

/** The steps of a JSON path that matches DEDUP_JSON_PATH_PATTERN: names and array indices. */
export function jsonPathSteps(path: string): (string | number)[] {
  return [...path.matchAll(/\.([A-Za-z0-9_-]+)|\[(\d+)\]/g)].map((step) =>
    step[1] !== undefined ? step[1] : Number(step[2]),
  );
}
