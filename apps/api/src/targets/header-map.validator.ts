import { registerDecorator, ValidationArguments, ValidationOptions } from 'class-validator';

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const MAX_HEADERS = 50;
const MAX_VALUE_LENGTH = 4096;
/** Set by webhooker on every request (or by the HTTP layer): a target cannot override them. */
export const RESERVED_HEADERS = new Set([
  'host',
  'content-length',
  'content-type',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'proxy-authorization',
  'proxy-connection',
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
  'webhooker-installation',
]);

/** Why a header map is invalid, or undefined when it is valid. */
export function headerMapProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return 'must be an object of header names to values';
  const entries = Object.entries(value);
  if (entries.length > MAX_HEADERS) return `may have at most ${MAX_HEADERS} headers`;
  const seen = new Set<string>();
  for (const [name, headerValue] of entries) {
    if (!TOKEN.test(name)) return `have an invalid header name "${name}"`;
    if (seen.has(name.toLowerCase())) return `have "${name}" twice (header names ignore case)`;
    seen.add(name.toLowerCase());
    if (RESERVED_HEADERS.has(name.toLowerCase())) return `cannot set "${name}": webhooker sets it`;
    if (typeof headerValue !== 'string') return `"${name}" must be a string`;
    if (headerValue.length > MAX_VALUE_LENGTH)
      return `"${name}" is longer than ${MAX_VALUE_LENGTH} characters`;
    if (/[\r\n\0]/.test(headerValue)) return `"${name}" must not contain line breaks`;
  }
  return undefined;
}

/** The header map with lower-case names, as it is stored and sent. */
export function lowerCaseHeaderNames(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}

/** Extra HTTP headers: valid names, string values without line breaks, none that webhooker sets itself. */
export function IsHeaderMap(options?: ValidationOptions) {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name: 'isHeaderMap',
      target: object.constructor,
      propertyName,
      options,
      validator: {
        validate: (value: unknown) => headerMapProblem(value) === undefined,
        defaultMessage: (args: ValidationArguments) => `${args.property} ${headerMapProblem(args.value)}`,
      },
    });
}
