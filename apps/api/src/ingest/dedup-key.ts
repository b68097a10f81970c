import { createHash } from 'node:crypto';
import { storableText } from '../common/storable-text';
import { DedupSetting, jsonPathSteps } from '../entrypoints/dedup-settings';

/** Characters of a key stored as is; a longer key is stored as its SHA-256, so distinct keys never merge. */
export const MAX_DEDUP_KEY_LENGTH = 200;

/** An entrypoint's deduplication as the hot path uses it: the JSON path already split into steps. */
export interface DedupRule {
  header: string | null;
  steps: (string | number)[] | null;
  windowSeconds: number;
}

/** The rule of a stored setting (null: deduplication is off). */
export function dedupRule(setting: DedupSetting | null | undefined): DedupRule | null {
  if (!setting) return null;
  return {
    header: setting.header,
    steps: setting.jsonPath === null ? null : jsonPathSteps(setting.jsonPath),
    windowSeconds: setting.windowSeconds,
  };
}

/**
 * The deduplication key of a request, or null when it has none (the header is missing or empty;
 * the body is not JSON, lacks the path, or holds something other than a string or a number there).
 * The body is parsed only for a JSON path rule.
 */
export function dedupKey(rule: DedupRule, headers: Record<string, string>, body: Buffer): string | null {
  const value = rule.header !== null ? (headers[rule.header] ?? null) : valueAt(body, rule.steps!);
  if (value === null || value === '') return null;
  if (value.length > MAX_DEDUP_KEY_LENGTH)
    return `sha256:${createHash('sha256').update(value).digest('hex')}`;
  return storableText(value);
}

/** The string or finite number at the path in a JSON body, as text; null otherwise. */
function valueAt(body: Buffer, steps: (string | number)[]): string | null {
  let node: unknown;
  try {
    node = JSON.parse(body.toString('utf8'));
  } catch {
    return null;
  }
  for (const step of steps) {
    if (typeof step === 'number' ? !Array.isArray(node) : node === null || typeof node !== 'object')
      return null;
    if (!Object.hasOwn(node as object, step)) return null;
    node = (node as Record<string | number, unknown>)[step];
  }
  if (typeof node === 'string') return node;
  return typeof node === 'number' && Number.isFinite(node) ? String(node) : null;
}
