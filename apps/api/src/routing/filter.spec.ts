import {
  compileFilter,
  FilterSyntaxError,
  MAX_EVALUATION_STEPS,
  MAX_FILTER_DEPTH,
  MAX_REGEX_LENGTH,
} from './filter';
import type { RoutingRequest } from './routing-request';

function request(body: unknown, overrides: Partial<RoutingRequest> = {}): RoutingRequest {
  return {
    method: 'POST',
    path: '/webhook/abc',
    query: { region: 'eu', tag: ['a', 'b'] },
    headers: { 'content-type': 'application/json', 'x-source': 'billing' },
    body,
    ...overrides,
  };
}

const order = {
  type: 'order.created',
  amount: 120,
  currency: 'EUR',
  paid: true,
  note: null,
  customer: { email: 'ada@example.com', tier: 'gold' },
  tags: ['vip', 'eu'],
  items: [
    { sku: 'A-1', quantity: 2 },
    { sku: 'B-7', quantity: 1 },
  ],
};

function matches(filter: unknown, body: unknown = order, overrides: Partial<RoutingRequest> = {}): boolean {
  return compileFilter(filter)(request(body, overrides));
}

function syntaxError(filter: unknown): string {
  try {
    compileFilter(filter);
  } catch (error) {
    expect(error).toBeInstanceOf(FilterSyntaxError);
    return (error as Error).message;
  }
  throw new Error('the filter compiled');
}

describe('compileFilter', () => {
  describe('match by example', () => {
    it('matches a literal value, nested objects and every key of an object', () => {
      expect(matches({ body: { type: 'order.created' } })).toBe(true);
      expect(matches({ body: { type: 'order.deleted' } })).toBe(false);
      expect(matches({ body: { customer: { tier: 'gold' }, paid: true } })).toBe(true);
      expect(matches({ body: { customer: { tier: 'gold' }, paid: false } })).toBe(false);
      expect(matches({ body: { note: null } })).toBe(true);
      expect(matches({ method: 'POST', path: '/webhook/abc' })).toBe(true);
      expect(matches({ method: 'PUT' })).toBe(false);
    });

    it('compares strictly: a number is not its string', () => {
      expect(matches({ body: { amount: '120' } })).toBe(false);
      expect(matches({ body: { amount: 120 } })).toBe(true);
    });

    it('reads dot paths, also for headers and query parameters', () => {
      expect(matches({ 'body.customer.tier': 'gold' })).toBe(true);
      expect(matches({ body: { 'customer.email': { $endsWith: '@example.com' } } })).toBe(true);
      expect(matches({ 'headers.x-source': 'billing' })).toBe(true);
      expect(matches({ query: { region: 'eu' } })).toBe(true);
      expect(matches({ 'body.items.1.sku': 'B-7' })).toBe(true);
      expect(matches({ 'body.items.0.sku': 'B-7' })).toBe(false);
    });

    it('matches an array field when one element matches', () => {
      expect(matches({ body: { tags: 'vip' } })).toBe(true);
      expect(matches({ body: { tags: 'us' } })).toBe(false);
      expect(matches({ query: { tag: 'b' } })).toBe(true);
      expect(matches({ body: { items: { sku: 'B-7' } } })).toBe(true);
      expect(matches({ 'body.items.sku': 'B-7' })).toBe(true);
      expect(matches({ 'body.items.quantity': { $gt: 1 } })).toBe(true);
      expect(matches({ 'body.items.quantity': { $gt: 2 } })).toBe(false);
    });

    it('takes a literal array as "contains all of these"', () => {
      expect(matches({ body: { tags: ['eu'] } })).toBe(true);
      expect(matches({ body: { tags: ['eu', 'vip'] } })).toBe(true);
      expect(matches({ body: { tags: ['eu', 'us'] } })).toBe(false);
      expect(matches({ body: { items: [{ sku: 'A-1' }, { quantity: 1 }] } })).toBe(true);
      expect(matches({ body: { type: ['order.created'] } })).toBe(false);
    });

    it('does not match a missing path, a value of another type or a body that is not JSON', () => {
      expect(matches({ body: { missing: 'x' } })).toBe(false);
      expect(matches({ body: { customer: { address: { city: 'Paris' } } } })).toBe(false);
      expect(matches({ body: { type: { kind: 'order' } } })).toBe(false);
      expect(matches({ body: { type: 'order.created' } }, 'type=order.created')).toBe(false);
      expect(matches({ body: { $startsWith: 'type=' } }, 'type=order.created')).toBe(true);
    });

    it('reads own properties only', () => {
      expect(matches({ 'body.constructor': { $exist: true } })).toBe(false);
      expect(matches({ 'body.__proto__': { $exist: true } })).toBe(false);
      expect(matches({ 'body.__proto__.polluted': 1 }, JSON.parse('{"__proto__": {"polluted": 1}}'))).toBe(
        true,
      );
    });
  });

  describe('operators', () => {
    it('$eq and $neq', () => {
      expect(matches({ body: { currency: { $eq: 'EUR' } } })).toBe(true);
      expect(matches({ body: { currency: { $eq: 'USD' } } })).toBe(false);
      expect(matches({ body: { customer: { $eq: { email: 'ada@example.com', tier: 'gold' } } } })).toBe(true);
      expect(matches({ body: { customer: { $eq: { tier: 'gold' } } } })).toBe(false);
      expect(matches({ body: { tags: { $eq: ['vip', 'eu'] } } })).toBe(true);
      expect(matches({ body: { tags: { $eq: ['eu', 'vip'] } } })).toBe(false);
      expect(matches({ body: { currency: { $neq: 'USD' } } })).toBe(true);
      expect(matches({ body: { currency: { $neq: 'EUR' } } })).toBe(false);
      expect(matches({ body: { tags: { $neq: 'vip' } } })).toBe(false);
      expect(matches({ body: { missing: { $neq: 'x' } } })).toBe(false);
    });

    it('$gt $gte $lt $lte on numbers and strings, never across types', () => {
      expect(matches({ body: { amount: { $gt: 100 } } })).toBe(true);
      expect(matches({ body: { amount: { $gt: 120 } } })).toBe(false);
      expect(matches({ body: { amount: { $gte: 120 } } })).toBe(true);
      expect(matches({ body: { amount: { $lt: 120 } } })).toBe(false);
      expect(matches({ body: { amount: { $lte: 120, $gt: 0 } } })).toBe(true);
      expect(matches({ body: { currency: { $gt: 'AAA', $lt: 'ZZZ' } } })).toBe(true);
      expect(matches({ body: { currency: { $gt: 100 } } })).toBe(false);
      expect(matches({ body: { amount: { $gt: '100' } } })).toBe(false);
      expect(matches({ body: { missing: { $lt: 1 } } })).toBe(false);
    });

    it('$in and $nin', () => {
      expect(matches({ body: { currency: { $in: ['EUR', 'USD'] } } })).toBe(true);
      expect(matches({ body: { currency: { $in: ['GBP'] } } })).toBe(false);
      expect(matches({ body: { tags: { $in: ['us', 'eu'] } } })).toBe(true);
      expect(matches({ body: { currency: { $nin: ['GBP', 'USD'] } } })).toBe(true);
      expect(matches({ body: { currency: { $nin: ['EUR'] } } })).toBe(false);
      expect(matches({ body: { tags: { $nin: ['eu'] } } })).toBe(false);
      expect(matches({ body: { missing: { $nin: ['x'] } } })).toBe(false);
    });

    it('$exist', () => {
      expect(matches({ body: { customer: { $exist: true } } })).toBe(true);
      expect(matches({ body: { note: { $exist: true } } })).toBe(true);
      expect(matches({ body: { missing: { $exist: true } } })).toBe(false);
      expect(matches({ body: { missing: { $exist: false } } })).toBe(true);
      expect(matches({ 'body.customer.phone': { $exist: false } })).toBe(true);
      expect(matches({ body: { customer: { $exist: false } } })).toBe(false);
    });

    it('$startsWith $endsWith $contains', () => {
      expect(matches({ body: { type: { $startsWith: 'order.' } } })).toBe(true);
      expect(matches({ body: { type: { $startsWith: 'invoice.' } } })).toBe(false);
      expect(matches({ body: { type: { $endsWith: '.created' } } })).toBe(true);
      expect(matches({ body: { amount: { $endsWith: '20' } } })).toBe(false);
      expect(matches({ body: { type: { $contains: 'der.cr' } } })).toBe(true);
      expect(matches({ body: { tags: { $contains: 'vip' } } })).toBe(true);
      expect(matches({ body: { tags: { $contains: 'vi' } } })).toBe(false);
      expect(matches({ body: { items: { $contains: { sku: 'A-1', quantity: 2 } } } })).toBe(true);
      expect(matches({ body: { amount: { $contains: 1 } } })).toBe(false);
    });

    it('$regex through a linear-time engine', () => {
      expect(matches({ body: { type: { $regex: '^order\\.(created|updated)$' } } })).toBe(true);
      expect(matches({ body: { type: { $regex: '^invoice' } } })).toBe(false);
      expect(matches({ body: { tags: { $regex: '^v' } } })).toBe(true);
      expect(matches({ body: { amount: { $regex: '1' } } })).toBe(false);
      const evil = compileFilter({ body: { text: { $regex: '(a+)+$' } } });
      expect(evil(request({ text: `${'a'.repeat(50_000)}!` }))).toBe(false);
      expect(evil(request({ text: `!${'a'.repeat(50_000)}` }))).toBe(true);
      const anchored = compileFilter({ body: { text: { $regex: '^(a+)+$' } } });
      expect(anchored(request({ text: `${'a'.repeat(50_000)}!` }))).toBe(false);
    });

    it('$and $or $not, at the top and on a field', () => {
      expect(matches({ $and: [{ body: { paid: true } }, { 'headers.x-source': 'billing' }] })).toBe(true);
      expect(matches({ $and: [{ body: { paid: true } }, { 'headers.x-source': 'crm' }] })).toBe(false);
      expect(matches({ $or: [{ body: { paid: false } }, { query: { region: 'eu' } }] })).toBe(true);
      expect(matches({ $or: [{ body: { paid: false } }, { query: { region: 'us' } }] })).toBe(false);
      expect(matches({ $not: { body: { paid: false } } })).toBe(true);
      expect(matches({ body: { amount: { $or: [{ $lt: 10 }, { $gt: 100 }] } } })).toBe(true);
      expect(matches({ body: { amount: { $and: [{ $gt: 10 }, { $lt: 100 }] } } })).toBe(false);
      expect(matches({ body: { type: { $not: { $startsWith: 'invoice.' } } } })).toBe(true);
      expect(matches({ body: { missing: { $not: { $eq: 'x' } } } })).toBe(true);
      expect(matches({ body: { $or: [{ currency: 'USD' }, { 'customer.tier': 'gold' }] } })).toBe(true);
    });
  });

  it('never throws at run time: a request it cannot read does not match', () => {
    const filter = compileFilter({ body: { type: 'x' } });
    const hostile = request({});
    Object.defineProperty(hostile, 'body', {
      get() {
        throw new Error('unreadable');
      },
    });
    expect(filter(hostile)).toBe(false);
  });

  it('does not match when the evaluation would need more than its budget of steps', () => {
    const items = Array.from({ length: MAX_EVALUATION_STEPS / 4 }, (_, i) => `item-${i}`);
    items.push('needle');
    const once = compileFilter({ body: { items: 'needle' } });
    expect(once(request({ items }))).toBe(true);
    const many = compileFilter({ body: { $and: Array.from({ length: 8 }, () => ({ items: 'needle' })) } });
    expect(many(request({ items }))).toBe(false);
    const pattern = compileFilter({ body: { text: { $regex: 'needle$' } } });
    expect(pattern(request({ text: `${'x'.repeat(10_000)}needle` }))).toBe(true);
    expect(pattern(request({ text: `${'x'.repeat(MAX_EVALUATION_STEPS)}needle` }))).toBe(false);
    // Each evaluation has a budget of its own.
    expect(once(request({ items }))).toBe(true);
  });

  describe('bad filters', () => {
    it('names an unknown operator and its path', () => {
      expect(syntaxError({ body: { amount: { $gtt: 5 } } })).toBe(
        'filter.body.amount: unknown operator "$gtt"',
      );
      expect(syntaxError({ $or: [{ body: { $foo: 1 } }] })).toBe(
        'filter.$or[0].body: unknown operator "$foo"',
      );
    });

    it('names operands of the wrong type', () => {
      expect(syntaxError({ body: { amount: { $gt: true } } })).toBe(
        'filter.body.amount: $gt needs a number or a string, not a boolean',
      );
      expect(syntaxError({ body: { tags: { $in: 'vip' } } })).toBe(
        'filter.body.tags: $in needs an array, not a string',
      );
      expect(syntaxError({ body: { x: { $exist: 'yes' } } })).toBe(
        'filter.body.x: $exist needs true or false, not a string',
      );
      expect(syntaxError({ body: { x: { $startsWith: 1 } } })).toBe(
        'filter.body.x: $startsWith needs a string, not a number',
      );
      expect(syntaxError({ $and: {} })).toBe('filter.$and: $and needs an array, not an object');
      expect(syntaxError({ $or: [] })).toBe('filter.$or: $or needs at least one condition');
    });

    it('refuses a pattern the linear-time engine does not take, or a long one', () => {
      expect(syntaxError({ body: { x: { $regex: '(' } } })).toMatch(/^filter\.body\.x: invalid \$regex: /);
      expect(syntaxError({ body: { x: { $regex: '(a)\\1' } } })).toMatch(
        /^filter\.body\.x: invalid \$regex: /,
      );
      expect(syntaxError({ body: { x: { $regex: 'a'.repeat(MAX_REGEX_LENGTH + 1) } } })).toBe(
        `filter.body.x: $regex pattern is longer than ${MAX_REGEX_LENGTH} characters`,
      );
    });

    it('refuses a filter that is not an object, a field the request does not have, an operator on the whole request', () => {
      expect(syntaxError('type')).toBe('filter: a filter is an object, not a string');
      expect(syntaxError([])).toBe('filter: a filter is an object, not an array');
      expect(syntaxError({ type: 'order.created' })).toBe(
        'filter.type: unknown field "type" (a filter matches method, path, query, headers or body)',
      );
      expect(syntaxError({ $or: [{ event: 1 }] })).toMatch(
        /^filter\.\$or\[0\]\.event: unknown field "event"/,
      );
      expect(syntaxError({ $eq: 1 })).toBe(
        'filter: operator "$eq" applies to a field, not to the whole request',
      );
      expect(syntaxError({ 'body..type': 1 })).toBe('filter: "body..type" is not a field name or dot path');
    });

    it('refuses a filter nested too deep or too large', () => {
      let deep: unknown = 1;
      for (let i = 0; i < MAX_FILTER_DEPTH + 1; i++) deep = { a: deep };
      expect(syntaxError({ body: deep })).toMatch(
        new RegExp(`^filter\\.body(\\.a)+: the filter is nested deeper than ${MAX_FILTER_DEPTH} levels$`),
      );
      expect(
        syntaxError({ body: { x: { $in: Array.from({ length: 5000 }, (_, i) => `value-${i}`) } } }),
      ).toMatch(/^filter: is larger than \d+ bytes$/);
    });
  });
});
