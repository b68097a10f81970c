import { storableText } from '../common/storable-text';

/** Headers an event keeps at most; a request with more is refused with 431. */
export const MAX_EVENT_HEADERS = 100;
/** Bytes of header names and values an event keeps at most; a request with more is refused with 431. */
export const MAX_EVENT_HEADER_BYTES = 8_192;

/** The headers of an event, or why they are refused (a 431 detail). */
export type CapturedHeaders = { headers: Record<string, string> } | { refused: string };

/**
 * The headers of a request as an event stores them (names lower-case, repeated headers joined as
 * node joins them), within MAX_EVENT_HEADERS and MAX_EVENT_HEADER_BYTES.
 */
export function captureHeaders(
  rawHeaders: string[],
  headers: Record<string, string | string[] | undefined>,
): CapturedHeaders {
  const count = rawHeaders.length / 2;
  if (count > MAX_EVENT_HEADERS) {
    return { refused: `The request has ${count} headers; at most ${MAX_EVENT_HEADERS} are accepted` };
  }
  let bytes = 0;
  for (const part of rawHeaders) bytes += Buffer.byteLength(part, 'latin1');
  if (bytes > MAX_EVENT_HEADER_BYTES) {
    return {
      refused: `The request headers have ${bytes} bytes of names and values; at most ${MAX_EVENT_HEADER_BYTES} are accepted`,
    };
  }
  const captured: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) {
      captured[storableText(name)] = storableText(Array.isArray(value) ? value.join(', ') : value);
    }
  }
  return { headers: captured };
}
