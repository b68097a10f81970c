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
          ? [{ field, message: `${field} is required` }]
          : [
              {
                field,
                message: message.startsWith(error.property) && parent ? `${parent}.${message}` : message,
              },
            ];
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
