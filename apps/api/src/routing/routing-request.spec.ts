import { MAX_BODY_DEPTH, routingBody, routingRequest } from './routing-request';

describe('routingRequest', () => {
  it('parses the query string, repeated names into arrays', () => {
    const request = routingRequest({
      method: 'POST',
      path: '/webhook/abc',
      query: 'region=eu&tag=a&tag=b&empty=',
      headers: { 'x-source': 'billing' },
      body: Buffer.from('{"type":"order.created"}'),
      contentType: 'application/json; charset=utf-8',
    });
    expect(request).toEqual({
      method: 'POST',
      path: '/webhook/abc',
      query: { region: 'eu', tag: ['a', 'b'], empty: '' },
      headers: { 'x-source': 'billing' },
      body: { type: 'order.created' },
    });
  });

  it('keeps __proto__ as a plain name in the query, the headers and the body', () => {
    const request = routingRequest({
      method: 'POST',
      path: '/',
      query: '__proto__=x&constructor=y',
      headers: JSON.parse('{"__proto__": "z"}'),
      body: Buffer.from('{"__proto__": {"polluted": true}}'),
      contentType: 'application/json',
    });
    expect(Object.keys(request.query)).toEqual(['__proto__', 'constructor']);
    expect(request.query['__proto__']).toBe('x');
    expect(request.headers['__proto__']).toBe('z');
    expect(Object.keys(request.body as object)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

describe('routingBody', () => {
  it('parses JSON, also +json media types', () => {
    expect(routingBody(Buffer.from('[1,{"a":null}]'), 'application/json')).toEqual([1, { a: null }]);
    expect(routingBody(Buffer.from('{"a":1}'), 'Application/Vnd.Api+JSON; charset=utf-8')).toEqual({ a: 1 });
    expect(routingBody(Buffer.from('\uFEFF{"a":1}'), 'application/json')).toEqual({ a: 1 });
  });

  it('gives JSON that does not parse as text', () => {
    expect(routingBody(Buffer.from('{"a":'), 'application/json')).toBe('{"a":');
    expect(routingBody(Buffer.from(''), 'application/json')).toBe('');
  });

  it('gives JSON nested too deep as text, without parsing it', () => {
    const deep = `${'['.repeat(MAX_BODY_DEPTH + 1)}${']'.repeat(MAX_BODY_DEPTH + 1)}`;
    expect(routingBody(Buffer.from(deep), 'application/json')).toBe(deep);
    const nested = `${'['.repeat(MAX_BODY_DEPTH)}${']'.repeat(MAX_BODY_DEPTH)}`;
    expect(Array.isArray(routingBody(Buffer.from(nested), 'application/json'))).toBe(true);
    const bracketsInStrings = JSON.stringify({ text: '['.repeat(MAX_BODY_DEPTH * 2), quote: '"[' });
    expect(routingBody(Buffer.from(bracketsInStrings), 'application/json')).toEqual(
      JSON.parse(bracketsInStrings),
    );
  });

  it('parses form data, repeated fields into arrays', () => {
    expect(routingBody(Buffer.from('a=1&b=two+words&b=%C3%A9'), 'application/x-www-form-urlencoded')).toEqual(
      {
        a: '1',
        b: ['two words', 'é'],
      },
    );
  });

  it('gives any other body as text', () => {
    expect(routingBody(Buffer.from('<order id="1"/>'), 'application/xml')).toBe('<order id="1"/>');
    expect(routingBody(Buffer.from('{"a":1}'), null)).toBe('{"a":1}');
  });

  it('replaces invalid UTF-8', () => {
    expect(routingBody(Buffer.from([0x61, 0xff, 0x62]), 'text/plain')).toBe('a\uFFFDb');
    expect(routingBody(Buffer.from([0x22, 0xc3, 0x28, 0x22]), 'application/json')).toBe('\uFFFD(');
  });
});
