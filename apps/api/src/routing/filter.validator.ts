import { registerDecorator, ValidationArguments, ValidationOptions } from 'class-validator';
import { compileFilter, FilterSyntaxError } from './filter';

/** Why a filter does not compile (its FilterSyntaxError message), or undefined when it does. */
export function filterProblem(value: unknown): string | undefined {
  try {
    compileFilter(value);
    return undefined;
  } catch (error) {
    if (error instanceof FilterSyntaxError) return error.message;
    throw error;
  }
}

/** A filter that compiles (see routing/filter.ts); null (no filter) and a missing field are let through. */
export function IsFilter(options?: ValidationOptions): PropertyDecorator {
  return (object: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isFilter',
      target: object.constructor,
      propertyName: String(propertyName),
      options,
      validator: {
        validate: (value: unknown) =>
          value === null || value === undefined || filterProblem(value) === undefined,
        defaultMessage: (args: ValidationArguments) =>
          filterProblem(args.value) ?? `${args.property} is invalid`,
      },
    });
}
