import type { SampleRequestDto } from '@webhooker/api-client';
import { problemOf } from '../../../lib/problem';

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

/** The edited sample request, parsed (the API checks its fields); or what is wrong with its JSON. */
export function parseSample(text: string): { request: SampleRequestDto } | { error: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { error: `The sample is not valid JSON: ${(error as Error).message}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { error: 'The sample must be a JSON object with method, path, query, headers and body.' };
  }
  return { request: value as SampleRequestDto };
}

/** The API's messages for a field and the fields below it ("filter", "filter.body.$regex"), one per line. */
export function messagesFor(error: unknown, field: string): string | undefined {
  const messages = problemOf(error)
    ?.errors?.filter((entry) => entry.field === field || entry.field.startsWith(`${field}.`))
    .map((entry) => entry.message);
  return messages?.length ? messages.join('\n') : undefined;
}

/** A body as it reads best: JSON pretty-printed, anything else as it is. */
export function formatBody(body: string): string {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}
