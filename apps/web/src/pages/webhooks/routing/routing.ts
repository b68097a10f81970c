import { problemOf } from '../../../lib/problem';

/** A filter in the Hookdeck/Convoy syntax: literal values match by example, `$` operators compare. */
export const FILTER_EXAMPLE = `{
  "headers": { "content-type": { "$startsWith": "application/json" } },
  "body": {
    "type": { "$in": ["invoice.paid", "invoice.payment_failed"] },
    "data": { "amount": { "$gte": 1000 } }
  }
}
`;

/** A transformation in the Svix/Hookdeck form: `handler(request)` returns what to send, or null to skip. */
export const TRANSFORM_EXAMPLE = `function handler(request) {
  // null skips this delivery: the event shows it as "skipped by transform".
  if (request.body.type === 'ping') return null;
  request.headers['x-event-type'] = request.body.type;
  request.body = { text: 'Invoice ' + request.body.data.id + ' is ' + request.body.type };
  return request;
}
`;

/** What the Try-it pane and a test send start from when the webhook has no event yet. */
export const SAMPLE_REQUEST = `{
  "method": "POST",
  "path": "/",
  "query": {},
  "headers": { "content-type": "application/json" },
  "body": {
    "type": "invoice.paid",
    "data": { "id": "in_1042", "amount": 4200 }
  }
}
`;

/** The editor's filter as the API takes it: null when empty, or what is wrong with the JSON. */
export function parseFilter(text: string): { filter: Record<string, unknown> | null } | { error: string } {
  if (text.trim() === '') return { filter: null };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { error: `The filter is not valid JSON: ${(error as Error).message}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { error: 'The filter must be a JSON object, e.g. { "body": { "type": "invoice.paid" } }.' };
  }
  return { filter: value as Record<string, unknown> };
}

/** The editor's transformation as the API takes it: null when empty. */
export function transformOf(text: string): string | null {
  return text.trim() === '' ? null : text;
}

/** The edited sample request, parsed; or what is wrong with it. */
export function parseSample(text: string): { request: Record<string, unknown> } | { error: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { error: `The sample is not valid JSON: ${(error as Error).message}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { error: 'The sample must be a JSON object with method, path, query, headers and body.' };
  }
  return { request: value as Record<string, unknown> };
}

/** The API's messages for a field and the fields below it ("filter", "filter.body.$regex"), one per line. */
export function messagesFor(error: unknown, field: string): string | undefined {
  const messages = problemOf(error)
    ?.errors?.filter((entry) => entry.field === field || entry.field.startsWith(`${field}.`))
    .map((entry) => entry.message);
  return messages?.length ? messages.join('\n') : undefined;
}

/** A body as it reads best: JSON pretty-printed, text as it is. */
export function formatBody(body: unknown): string {
  if (body === null || body === undefined) return '';
  if (typeof body !== 'string') return JSON.stringify(body, null, 2);
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}
