import { dedupKey, dedupRule, MAX_DEDUP_KEY_LENGTH } from './dedup-key';

const byPath = (jsonPath: string) => dedupRule({ header: null, jsonPath, windowSeconds: 60 })!;
const json = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('dedupKey', () => {
  it('reads a header by its lower-case name; missing or empty is no key', () => {
    const rule = dedupRule({ header: 'x-github-delivery', jsonPath: null, windowSeconds: 60 })!;
    expect(dedupKey(rule, { 'x-github-delivery': 'abc' }, Buffer.alloc(0))).toBe('abc');
    expect(dedupKey(rule, { 'x-other': 'abc' }, Buffer.alloc(0))).toBeNull();
    expect(dedupKey(rule, { 'x-github-delivery': '' }, Buffer.alloc(0))).toBeNull();
  });

  it('follows names and array indices; strings and finite numbers are keys, anything else is not', () => {
    const rule = byPath('$.data.items[1].id');
    expect(dedupKey(rule, {}, json({ data: { items: [{ id: 'a' }, { id: 'b' }] } }))).toBe('b');
    expect(dedupKey(rule, {}, json({ data: { items: [{ id: 'a' }, { id: 7 }] } }))).toBe('7');
    for (const id of [null, true, { x: 1 }, ['b']]) {
      expect(dedupKey(rule, {}, json({ data: { items: [{}, { id }] } }))).toBeNull();
    }
    expect(dedupKey(rule, {}, json({ data: { items: { 1: { id: 'b' } } } }))).toBeNull();
    expect(dedupKey(rule, {}, json({ data: {} }))).toBeNull();
    expect(dedupKey(rule, {}, Buffer.from('{"data":'))).toBeNull();
    expect(dedupKey(byPath('$.toString'), {}, json({}))).toBeNull();
  });

  it('stores a key over the cap as its SHA-256 and makes NUL storable', () => {
    const rule = byPath('$.id');
    const long = 'k'.repeat(MAX_DEDUP_KEY_LENGTH + 1);
    expect(dedupKey(rule, {}, json({ id: long }))).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(dedupKey(rule, {}, json({ id: `${long}x` }))).not.toBe(dedupKey(rule, {}, json({ id: long })));
    expect(dedupKey(rule, {}, json({ id: 'k'.repeat(MAX_DEDUP_KEY_LENGTH) }))).toBe(
      'k'.repeat(MAX_DEDUP_KEY_LENGTH),
    );
    expect(dedupKey(rule, {}, json({ id: 'a\u0000b' }))).toBe('a\uFFFDb');
  });
});
