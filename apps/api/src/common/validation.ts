import { BadRequestException, ValidationError, ValidationPipe } from '@nestjs/common';
import { FieldErrorDto } from './problem-details';

/** Thrown for invalid input; carries one entry per field at fault. */
export class ValidationFailedException extends BadRequestException {
  constructor(readonly fieldErrors: FieldErrorDto[]) {
    super(fieldErrors.map((e) => e.message).join('; '));
  }
}

function flatten(errors: ValidationError[], parent = ''): FieldErrorDto[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const constraints = Object.values(error.constraints ?? {});
    const own =
      error.value === undefined && constraints.length > 0 && !error.constraints?.whitelistValidation
        ? [{ field, message: `${field} is required` }]
        : constraints.map((message) => ({
            field,
            message: message.startsWith(error.property) && parent ? `${parent}.${message}` : message,
          }));
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/** Whitelisting, transforming validation whose failures name every field at fault. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    stopAtFirstError: true,
    exceptionFactory: (errors) => new ValidationFailedException(flatten(errors)),
  });
}
