import { RE2JS, RE2JSException } from 're2js';
import type { RoutingRequest } from './routing-request';

/** A compiled filter: whether a request is for the target. */
export type CompiledFilter = (request: RoutingRequest) => boolean;

/** A filter that cannot be compiled; the message names the dot path at fault and what is wrong with it. */
export class FilterSyntaxError extends Error {}

/** Bytes of a filter, as JSON, at most. */
export const MAX_FILTER_BYTES = 16_384;
/** Nesting of a filter (objects, arrays and operators) at most. */
export const MAX_FILTER_DEPTH = 20;
/** Characters of a `$regex` pattern at most. */
export const MAX_REGEX_LENGTH = 512;
/** Arrays inside arrays a path looks through at most (`[[{…}]]` is two). */
const MAX_ARRAY_NESTING = 4;
/**
 * Work one evaluation may do at most, in steps: one per value or array element looked at,
 * REGEX_STEPS_PER_CHARACTER per character a `$regex` reads (about 64 KiB of text in all), one
 * per 64 characters `$contains` searches. A filter that needs more (many conditions over a huge
 * body) does not match, rather than hold the ingest path.
 */
export const MAX_EVALUATION_STEPS = 1_000_000;
/** re2js reads about a character per 100–300 ns: a `$regex` costs this many steps per character. */
const REGEX_STEPS_PER_CHARACTER = 16;

/** The evaluation ran out of steps. */
class OutOfSteps extends Error {}

/** Steps left to the evaluation under way (evaluations are synchronous: one at a time). */
let stepsLeft = 0;

function spend(steps: number): void {
  stepsLeft -= steps;
  if (stepsLeft < 0) throw new OutOfSteps();
}

/** What a filter matches at its top level. */
const REQUEST_FIELDS = new Set(['method', 'path', 'query', 'headers', 'body']);

/** Whether the condition holds for a value; `undefined` is a missing value. */
type Matcher = (value: unknown) => boolean;

type Operand = { value: unknown; path: string };
type OperatorCompiler = (operand: Operand) => Matcher;

const hasOwn = Object.prototype.hasOwnProperty;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function fail(path: string, message: string): never {
  throw new FilterSyntaxError(`${path}: ${message}`);
}

/** Equal as JSON values; `expected` comes from the filter, so the recursion is bounded by its depth. */
function jsonEqual(actual: unknown, expected: unknown): boolean {
  if (expected === null || typeof expected !== 'object') return actual === expected;
  if (Array.isArray(expected)) {
    return (
      Array.isArray(actual) &&
      actual.length === expected.length &&
      expected.every((item, index) => jsonEqual(actual[index], item))
    );
  }
  if (!isPlainObject(actual)) return false;
  const keys = Object.keys(expected);
  const actualKeys = Object.keys(actual);
  spend(actualKeys.length);
  if (actualKeys.length !== keys.length) return false;
  return keys.every(
    (key) => hasOwn.call(actual, key) && jsonEqual(actual[key], (expected as Record<string, unknown>)[key]),
  );
}

/** A test of one value that also holds for an array with an element it holds for. */
function anyElement(test: (value: unknown) => boolean): Matcher {
  return (value) => {
    spend(1);
    if (test(value)) return true;
    if (!Array.isArray(value)) return false;
    spend(value.length);
    return value.some(test);
  };
}

function present(matcher: Matcher): Matcher {
  return (value) => value !== undefined && matcher(value);
}

function comparison(name: string, holds: (order: number) => boolean): OperatorCompiler {
  return ({ value: bound, path }) => {
    if (typeof bound === 'number') {
      if (!Number.isFinite(bound)) fail(path, `${name} needs a finite number`);
      return anyElement((value) => typeof value === 'number' && holds(value - bound));
    }
    if (typeof bound === 'string') {
      return anyElement(
        (value) => typeof value === 'string' && holds(value < bound ? -1 : value > bound ? 1 : 0),
      );
    }
    return fail(path, `${name} needs a number or a string, not ${typeName(bound)}`);
  };
}

function stringOperand(name: string, { value, path }: Operand): string {
  if (typeof value !== 'string') fail(path, `${name} needs a string, not ${typeName(value)}`);
  return value;
}

function listOperand(name: string, { value, path }: Operand): unknown[] {
  if (!Array.isArray(value)) fail(path, `${name} needs an array, not ${typeName(value)}`);
  return value;
}

function conditionList(name: string, operand: Operand): Matcher[] {
  const list = listOperand(name, operand);
  if (list.length === 0) fail(operand.path, `${name} needs at least one condition`);
  return list.map((item, index) => compileCondition(item, `${operand.path}[${index}]`, false));
}

function isIn(list: unknown[]): Matcher {
  return anyElement((value) => list.some((item) => jsonEqual(value, item)));
}

function equals(expected: unknown): Matcher {
  return Array.isArray(expected)
    ? (value) => jsonEqual(value, expected)
    : anyElement((value) => jsonEqual(value, expected));
}

/** The operators a condition object may hold besides field names. */
const OPERATORS: Record<string, OperatorCompiler> = {
  $eq: ({ value }) => present(equals(value)),
  $neq: ({ value }) => {
    const equal = equals(value);
    return (actual) => actual !== undefined && !equal(actual);
  },
  $gt: comparison('$gt', (order) => order > 0),
  $gte: comparison('$gte', (order) => order >= 0),
  $lt: comparison('$lt', (order) => order < 0),
  $lte: comparison('$lte', (order) => order <= 0),
  $in: (operand) => present(isIn(listOperand('$in', operand))),
  $nin: (operand) => {
    const inList = isIn(listOperand('$nin', operand));
    return (value) => value !== undefined && !inList(value);
  },
  $exist: ({ value: wanted, path }) => {
    if (typeof wanted !== 'boolean') fail(path, `$exist needs true or false, not ${typeName(wanted)}`);
    return (value) => (value !== undefined) === wanted;
  },
  $startsWith: (operand) => {
    const prefix = stringOperand('$startsWith', operand);
    return anyElement((value) => typeof value === 'string' && value.startsWith(prefix));
  },
  $endsWith: (operand) => {
    const suffix = stringOperand('$endsWith', operand);
    return anyElement((value) => typeof value === 'string' && value.endsWith(suffix));
  },
  $contains: ({ value: part }) => {
    if (typeof part === 'string') {
      return (value) => {
        if (typeof value === 'string') {
          spend(1 + (value.length >> 6));
          return value.includes(part);
        }
        if (!Array.isArray(value)) return false;
        spend(value.length);
        return value.some((item) => item === part);
      };
    }
    return (value) => {
      if (!Array.isArray(value)) return false;
      spend(value.length);
      return value.some((item) => jsonEqual(item, part));
    };
  },
  $regex: (operand) => {
    const pattern = stringOperand('$regex', operand);
    if (pattern.length > MAX_REGEX_LENGTH) {
      fail(operand.path, `$regex pattern is longer than ${MAX_REGEX_LENGTH} characters`);
    }
    let regex: RE2JS;
    try {
      regex = RE2JS.compile(pattern);
    } catch (error) {
      if (error instanceof RE2JSException) fail(operand.path, `invalid $regex: ${error.message}`);
      throw error;
    }
    return anyElement((value) => {
      if (typeof value !== 'string') return false;
      spend(value.length * REGEX_STEPS_PER_CHARACTER);
      return regex.test(value);
    });
  },
  $and: (operand) => {
    const all = conditionList('$and', operand);
    return (value) => all.every((matcher) => matcher(value));
  },
  $or: (operand) => {
    const any = conditionList('$or', operand);
    return (value) => any.some((matcher) => matcher(value));
  },
  $not: (operand) => {
    const inner = compileCondition(operand.value, operand.path, false);
    return (value) => !inner(value);
  },
};

/**
 * The value at a dot path below `value`, tested by `matcher`. An array on the way is looked
 * through (the test holds when it holds for one of its elements) unless the segment is an index;
 * only own properties are read, so `__proto__` or `constructor` are plain (missing) names.
 */
function atPath(segments: string[], matcher: Matcher): Matcher {
  const walk = (value: unknown, index: number, arrays: number): boolean => {
    if (index === segments.length) return matcher(value);
    const segment = segments[index]!;
    if (Array.isArray(value)) {
      if (/^\d+$/.test(segment)) return walk(value[Number(segment)], index + 1, arrays);
      spend(value.length);
      return arrays < MAX_ARRAY_NESTING && value.some((item) => walk(item, index, arrays + 1));
    }
    const next = isPlainObject(value) && hasOwn.call(value, segment) ? value[segment] : undefined;
    return walk(next, index + 1, arrays);
  };
  return (value) => walk(value, 0, 0);
}

function compileCondition(condition: unknown, path: string, root: boolean): Matcher {
  if (root && !isPlainObject(condition)) fail(path, `a filter is an object, not ${typeName(condition)}`);
  if (Array.isArray(condition)) {
    // A literal array: the value is an array holding, for each condition, an element it matches.
    const items = condition.map((item, index) => compileCondition(item, `${path}[${index}]`, false));
    return (value) => {
      if (!Array.isArray(value)) return false;
      spend(items.length * value.length);
      return items.every((matcher) => value.some((element) => matcher(element)));
    };
  }
  if (!isPlainObject(condition)) return present(equals(condition));
  const parts: Matcher[] = [];
  for (const [key, operand] of Object.entries(condition)) {
    if (key.startsWith('$')) {
      if (!hasOwn.call(OPERATORS, key)) fail(path, `unknown operator "${key}"`);
      const combines = key === '$and' || key === '$or' || key === '$not';
      if (root && !combines) fail(path, `operator "${key}" applies to a field, not to the whole request`);
      const operandPath = combines ? `${path}.${key}` : path;
      // At the top, $and/$or/$not combine conditions on the whole request, checked like the filter itself.
      parts.push(
        root
          ? rootOperator(key, operand, operandPath)
          : OPERATORS[key]!({ value: operand, path: operandPath }),
      );
      continue;
    }
    const segments = key.split('.');
    if (key.length === 0 || segments.some((segment) => segment.length === 0)) {
      fail(path, `"${key}" is not a field name or dot path`);
    }
    if (root && !REQUEST_FIELDS.has(segments[0]!)) {
      fail(
        `${path}.${key}`,
        `unknown field "${segments[0]}" (a filter matches method, path, query, headers or body)`,
      );
    }
    parts.push(atPath(segments, compileCondition(operand, `${path}.${key}`, false)));
  }
  if (parts.length === 1) return parts[0]!;
  return (value) => parts.every((matcher) => matcher(value));
}

/** $and, $or or $not at the top of a filter: their conditions are on the request, like the filter itself. */
function rootOperator(key: string, operand: unknown, path: string): Matcher {
  if (key === '$not') {
    const inner = compileCondition(operand, path, true);
    return (value) => !inner(value);
  }
  const list = listOperand(key, { value: operand, path });
  if (list.length === 0) fail(path, `${key} needs at least one condition`);
  const matchers = list.map((item, index) => compileCondition(item, `${path}[${index}]`, true));
  return key === '$and'
    ? (value) => matchers.every((matcher) => matcher(value))
    : (value) => matchers.some((matcher) => matcher(value));
}

/** Fails at the first object or array nested deeper than MAX_FILTER_DEPTH. */
function checkDepth(value: unknown, path: string, depth: number): void {
  if (typeof value !== 'object' || value === null) return;
  if (depth >= MAX_FILTER_DEPTH) fail(path, `the filter is nested deeper than ${MAX_FILTER_DEPTH} levels`);
  if (Array.isArray(value)) {
    value.forEach((item, index) => checkDepth(item, `${path}[${index}]`, depth + 1));
    return;
  }
  for (const [key, item] of Object.entries(value)) checkDepth(item, `${path}.${key}`, depth + 1);
}

/**
 * Compiles a filter (Hookdeck/Convoy syntax) over `{ method, path, query, headers, body }`; throws
 * FilterSyntaxError naming the dot path at fault. The compiled filter never throws: a request it
 * cannot evaluate, or not within MAX_EVALUATION_STEPS, does not match.
 */
export function compileFilter(filter: unknown): CompiledFilter {
  checkDepth(filter, 'filter', 0);
  let json: string | undefined;
  try {
    json = JSON.stringify(filter);
  } catch {
    fail('filter', 'is not JSON');
  }
  if (json === undefined) fail('filter', 'is not JSON');
  if (Buffer.byteLength(json) > MAX_FILTER_BYTES) fail('filter', `is larger than ${MAX_FILTER_BYTES} bytes`);
  const matcher = compileCondition(filter, 'filter', true);
  return (request) => {
    stepsLeft = MAX_EVALUATION_STEPS;
    try {
      return matcher(request);
    } catch {
      return false;
    }
  };
}
