/** A body as text when it is valid UTF-8, as base64 otherwise (for JSON answers and log lines). */
export function encodeBody(body: Buffer): { body: string; bodyEncoding: 'utf8' | 'base64' } {
  const text = body.toString('utf8');
  return Buffer.from(text, 'utf8').equals(body)
    ? { body: text, bodyEncoding: 'utf8' }
    : { body: body.toString('base64'), bodyEncoding: 'base64' };
}
