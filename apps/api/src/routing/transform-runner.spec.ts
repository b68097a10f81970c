import { transformInput } from './transform-runner';

describe('transformInput', () => {
  it('gives the body as text, marked JSON by its content type, and the query as parameters', () => {
    const input = transformInput({
      method: 'POST',
      path: '/webhook/1',
      query: 'a=1&a=2&__proto__=x&b=',
      headers: { 'content-type': 'application/vnd.api+json; charset=utf-8' },
      contentType: 'application/vnd.api+json; charset=utf-8',
      body: Buffer.from('\ufeff{"ok":true}'),
    });
    expect(input).toMatchObject({
      method: 'POST',
      path: '/webhook/1',
      bodyText: '{"ok":true}',
      bodyIsJson: true,
    });
    expect(JSON.stringify(input.query)).toBe('{"a":["1","2"],"__proto__":"x","b":""}');
    expect(Object.getPrototypeOf(input.query)).toBeNull();
  });

  it.each([
    ['text/plain', false],
    ['application/x-www-form-urlencoded', false],
    ['application/json', true],
    [null, false],
  ])('treats %s as JSON: %s', (contentType, json) => {
    const input = transformInput({
      method: 'POST',
      path: '/',
      query: '',
      headers: {},
      contentType,
      body: Buffer.from('x'),
    });
    expect(input.bodyIsJson).toBe(json);
  });
});
