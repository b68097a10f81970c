/** Longest error message kept on a delivery or attempt row. */
export const MAX_ERROR_CHARS = 1024;

/**
 * Text from outside (a sender's path or headers, a receiver's answer, an error message) made safe
 * for a `text` or `jsonb` column: NUL, which PostgreSQL refuses in both, becomes U+FFFD, and the
 * text is cut at `maxChars`.
 */
export function storableText(value: string, maxChars?: number): string;
export function storableText(value: string | null, maxChars?: number): string | null;
export function storableText(value: string | null, maxChars = Infinity): string | null {
  if (value === null) return null;
  const capped = value.length > maxChars ? `${value.slice(0, maxChars - 1)}…` : value;
  return capped.includes('\u0000') ? capped.replaceAll('\u0000', '\uFFFD') : capped;
}
