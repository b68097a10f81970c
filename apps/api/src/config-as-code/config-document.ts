import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';
import { parse as parseYaml } from 'yaml';
import { ValidationFailedException } from '../common/validation';
import type { FieldErrorDto } from '../common/problem-details';
import { reservedKeyMessage, reservedKeyPath } from '../common/reserved-keys';
import { ConfigDocumentDto } from './config-document.dto';

/** A placeholder the CLI resolves from its environment (`${ORDERS_TOKEN}`). */
const PLACEHOLDER = /\$\{[^}]*\}/;

function invalid(field: string, message: string): ValidationFailedException {
  return new ValidationFailedException([{ field, message }]);
}

/** `webhooks.0.targets.1.http.url` as the document reader writes it: `webhooks[0].targets[1].http.url`. */
export function documentPath(parent: string, property: string): string {
  if (/^\d+$/.test(property)) return `${parent}[${property}]`;
  return parent ? `${parent}.${property}` : property;
}

/** A field error's path and message put under a prefix (`http.url …` → `webhooks[0].targets[1].http.url …`). */
export function underPath(prefix: string, error: FieldErrorDto): FieldErrorDto {
  const field = `${prefix}.${error.field}`;
  const message = error.message.startsWith(error.field)
    ? `${field}${error.message.slice(error.field.length)}`
    : `${field}: ${error.message}`;
  return { field, message };
}

function flatten(errors: ValidationError[], parent = ''): FieldErrorDto[] {
  return errors.flatMap((error) => {
    const field = documentPath(parent, error.property);
    const { nestedValidation, ...own } = error.constraints ?? {};
    const message = Object.values(own).at(-1) ?? nestedValidation;
    const mine: FieldErrorDto[] =
      message === undefined
        ? []
        : error.value === undefined && !error.constraints?.whitelistValidation
          ? [{ field, message: `${field} is required` }]
          : [
              {
                field,
                message: message.startsWith(error.property)
                  ? `${field}${message.slice(error.property.length)}`
                  : `${field}: ${message}`,
              },
            ];
    return [...mine, ...flatten(error.children ?? [], field)];
  });
}

/** The first string (with its path) for which `test` gives a match. */
function findString(
  value: unknown,
  path: string,
  test: (text: string) => string | null,
): { path: string; match: string } | null {
  if (typeof value === 'string') {
    const match = test(value);
    return match === null ? null : { path, match };
  }
  const entries = Array.isArray(value)
    ? value.map((item, index) => [`${path}[${index}]`, item] as const)
    : value && typeof value === 'object'
      ? Object.entries(value).map(([key, item]) => [path ? `${path}.${key}` : key, item] as const)
      : [];
  for (const [itemPath, item] of entries) {
    const found = findString(item, itemPath, test);
    if (found) return found;
  }
  return null;
}

/** The request body as a value: a JSON body as parsed, a YAML body (text) parsed here; 400 when it is neither. */
export function parseBody(body: unknown): unknown {
  if (typeof body !== 'string') return body;
  try {
    return parseYaml(body, { maxAliasCount: 100 });
  } catch (error) {
    throw invalid('document', `document is not valid YAML: ${(error as Error).message}`);
  }
}

/** Keys appearing twice in a list, as the error naming the second. */
function checkUniqueKeys(items: { key: string }[], path: string, what: string): void {
  const seen = new Set<string>();
  for (const [index, item] of items.entries()) {
    if (seen.has(item.key)) {
      throw invalid(
        `${path}[${index}].key`,
        `${path}[${index}].key "${item.key}" is used by another ${what}`,
      );
    }
    seen.add(item.key);
  }
}

/**
 * The document, checked: its shape (every error named by its path in the document), no
 * unresolved placeholders nor NUL characters, and keys unique where they must be.
 */
export function validateDocument(value: unknown): ConfigDocumentDto {
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw invalid('document', 'document must be an object with a webhooks list');
  }
  const placeholder = findString(value, '', (text) => PLACEHOLDER.exec(text)?.[0] ?? null);
  if (placeholder) {
    throw invalid(
      placeholder.path,
      `${placeholder.path} holds the unresolved placeholder ${placeholder.match}: the CLI resolves placeholders from its environment`,
    );
  }
  const nul = findString(value, '', (text) => (text.includes('\u0000') ? '\u0000' : null));
  if (nul) throw invalid(nul.path, `${nul.path} must not contain NUL characters`);
  const reserved = reservedKeyPath(value);
  if (reserved) throw invalid(reserved, reservedKeyMessage(reserved));
  const document = plainToInstance(ConfigDocumentDto, value);
  const errors = validateSync(document, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length > 0) throw new ValidationFailedException(flatten(errors));
  checkUniqueKeys(document.webhooks, 'webhooks', 'webhook');
  for (const [index, webhook] of document.webhooks.entries()) {
    checkUniqueKeys(
      webhook.entrypoints ?? [],
      `webhooks[${index}].entrypoints`,
      'entrypoint of this webhook',
    );
    checkUniqueKeys(webhook.targets ?? [], `webhooks[${index}].targets`, 'target of this webhook');
  }
  return document;
}

/** A key made from a name: lower-case letters and digits joined by `-`, or the fallback. */
function slug(name: string, fallback: string): string {
  const made = name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 90)
    .replace(/-+$/, '');
  return made || fallback;
}

/**
 * Every item's key: its own, else one derived from its name, unique among the items (`-2`, `-3`…
 * in the items' order), so the same objects always get the same keys.
 */
export function effectiveKeys<T>(
  items: T[],
  own: (item: T) => string | null,
  name: (item: T) => string,
  fallback: string,
): string[] {
  const used = new Set(items.map(own).filter((key): key is string => key !== null));
  return items.map((item) => {
    const key = own(item);
    if (key !== null) return key;
    const base = slug(name(item), fallback);
    let candidate = base;
    for (let n = 2; used.has(candidate); n++) candidate = `${base}-${n}`;
    used.add(candidate);
    return candidate;
  });
}
