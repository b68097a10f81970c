import { ArgumentMetadata, BadRequestException, ValidationError, ValidationPipe } from '@nestjs/common';
import { ValidateIf, ValidationOptions } from 'class-validator';
import { FieldErrorDto } from './problem-details';
import { reservedKeyMessage, reservedKeyPath } from './reserved-keys';

/** Thrown for invalid input; carries one entry per field at fault. */
export class ValidationFailedException extends BadRequestException {
  constructor(readonly fieldErrors: FieldErrorDto[]) {
    super(fieldErrors.map((e) => e.message).join('; '));
  }
}

/**
 * Like `@IsOptional()`, but only a missing field is skipped: `null` is validated like any other
 * value (and so refused), instead of reaching the service and a NOT NULL column.
 */
export function IsOptionalNonNull(options?: ValidationOptions): PropertyDecorator {
  return ValidateIf((_object, value) => value !== undefined, options);
}

/** Words written otherwise than as a lower-case word in a field's label. */
const WORDS: Record<string, string> = {
  api: 'API',
  url: 'URL',
  id: 'ID',
  ip: 'IP',
  http: 'HTTP',
  json: 'JSON',
  ms: '(ms)',
};

/** A property in words: `maxRetries` → "Max retries", `timeoutMs` → "Timeout (ms)". */
export function fieldLabel(property: string): string {
  const words = property
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(' ')
    .map((word) => WORDS[word] ?? word)
    .join(' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** class-validator's phrasing, as people say it. */
const PHRASES: [RegExp, string][] = [
  [/must not be greater than (\S+)$/, 'must be at most $1'],
  [/must not be less than (\S+)$/, 'must be at least $1'],
  [/must be a number conforming to the specified constraints$/, 'must be a number'],
  [/must be an integer number$/, 'must be a whole number'],
  [/must be a boolean value$/, 'must be true or false'],
  [/must be longer than or equal to 1 characters$/, 'must not be empty'],
  [/must be longer than or equal to (\d+) characters$/, 'must be at least $1 characters long'],
  [/must be shorter than or equal to (\d+) characters$/, 'must be at most $1 characters long'],
  [/must be one of the following values: /, 'must be one of '],
];

/**
 * A validation message that names the field in words ("Max retries must be at most 50"), for
 * people; the field's path goes beside it in `field`, for programs. A message that does not start
 * with the field's name or path is kept as it is.
 */
function inWords(field: string, property: string, message: string): string {
  const named = [field, property].find((name) => message.startsWith(`${name} `));
  if (named === undefined) return message;
  const worded = `${fieldLabel(property)}${message.slice(named.length)}`;
  return PHRASES.reduce((text, [phrase, words]) => text.replace(phrase, words), worded);
}

function flatten(errors: ValidationError[], parent = ''): FieldErrorDto[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    // class-validator runs a property's decorators bottom-up, so the last failed constraint is the
    // top-most decorator: by convention the type check (`@IsInt()` above `@Max()`), whose message
    // says what is most wrong ("must be an integer", not "must not be greater than 3650" for "30").
    // @ValidateNested's own message comes last but is generic: the property's own check wins.
    const { nestedValidation, ...own } = error.constraints ?? {};
    const message = Object.values(own).at(-1) ?? nestedValidation;
    const fieldErrors =
      message === undefined
        ? []
        : error.value === undefined && !error.constraints?.whitelistValidation
          ? [{ field, message: `${fieldLabel(error.property)} is required` }]
          : [{ field, message: inWords(field, error.property, message) }];
    return [...fieldErrors, ...flatten(error.children ?? [], field)];
  });
}

/** Validation that first refuses a body with a key class-transformer cannot take (see reserved-keys.ts). */
class BodyValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body') {
      const path = reservedKeyPath(value);
      if (path) throw new ValidationFailedException([{ field: path, message: reservedKeyMessage(path) }]);
    }
    return super.transform(value, metadata);
  }
}

/** Whitelisting, transforming validation whose failures name every field at fault. */
export function createValidationPipe(): ValidationPipe {
  return new BodyValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: (errors) => new ValidationFailedException(flatten(errors)),
  });
}
