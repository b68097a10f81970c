import { MAX_LOG_LINES, TransformInput, TransformSandbox, TransformSyntaxError } from './transform-sandbox';

const input: TransformInput = {
  method: 'POST',
  path: '/webhook/3b7c',
  query: { page: '1' },
  headers: { 'content-type': 'application/json', 'x-source': 'shop' },
  bodyText: '{"type":"order.paid","amount":42}',
  bodyIsJson: true,
};

describe('TransformSandbox', () => {
  let sandbox: TransformSandbox;

  beforeAll(async () => {
    sandbox = await TransformSandbox.load({
      timeoutMs: 200,
      memoryBytes: 16 * 1_048_576,
      maxBodyBytes: 1024,
    });
  });

  it('returns the request the handler builds, with the body parsed when JSON', () => {
    const transform = sandbox.compile(`
      function handler(request) {
        request.headers['x-amount'] = String(request.body.amount);
        request.body = { kind: request.body.type, cents: request.body.amount * 100 };
        request.path = '/orders';
        request.query = { paid: 'yes', tag: ['a', 'b'] };
        request.method = 'put';
        return request;
      }`);
    const result = transform.run(input);
    expect(result).toEqual({
      kind: 'request',
      logs: [],
      request: {
        method: 'PUT',
        path: '/orders',
        query: [
          ['paid', 'yes'],
          ['tag', 'a'],
          ['tag', 'b'],
        ],
        headers: { 'content-type': 'application/json', 'x-source': 'shop', 'x-amount': '42' },
        body: '{"kind":"order.paid","cents":4200}',
        bodyIsJson: true,
      },
    });
  });

  it('leaves method, path, query and body unset when the handler returns them as received', () => {
    const result = sandbox.compile('function handler(request) { return request; }').run(input);
    expect(result).toEqual({
      kind: 'request',
      logs: [],
      request: { headers: input.headers, body: null, bodyIsJson: true },
    });
    const text = sandbox
      .compile('function handler(r) { return r; }')
      .run({ ...input, bodyText: 'a=1', bodyIsJson: false });
    expect(text).toMatchObject({ kind: 'request', request: { body: null, bodyIsJson: false } });
  });

  it('sends a string body as it is and an absent body as empty', () => {
    expect(sandbox.compile('function handler(r) { r.body = "plain"; return r; }').run(input)).toMatchObject({
      request: { body: 'plain', bodyIsJson: false },
    });
    expect(sandbox.compile('function handler(r) { delete r.body; return r; }').run(input)).toMatchObject({
      request: { body: '', bodyIsJson: false },
    });
  });

  it('gives a body that is not JSON after all as text', () => {
    const result = sandbox
      .compile('function handler(r) { r.headers.kind = typeof r.body; return r; }')
      .run({ ...input, bodyText: '{oops', bodyIsJson: true });
    expect(result).toMatchObject({ request: { headers: { kind: 'string' }, body: null } });
  });

  it('skips on null', () => {
    expect(sandbox.compile('function handler(r) { return null; }').run(input)).toEqual({
      kind: 'skip',
      logs: [],
    });
  });

  it('reports a throw with its message and line, and the console output before it', () => {
    const result = sandbox
      .compile(
        'function handler(r) {\n  console.log("got", r.body.type);\n  throw new TypeError("no way");\n}',
      )
      .run(input);
    expect(result).toEqual({
      kind: 'error',
      error: 'TypeError: no way (line 3)',
      logs: ['got order.paid'],
    });
  });

  it('interrupts an endless loop after the time limit, then runs again in a fresh runtime', () => {
    const transform = sandbox.compile(
      'let calls = 0;\nfunction handler(r) { calls++; if (r.body.loop) for (;;) {} r.headers.calls = String(calls); return r; }',
    );
    expect(transform.run(input)).toMatchObject({ request: { headers: { calls: '1' } } });
    // Reused from run to run while they succeed.
    expect(transform.run(input)).toMatchObject({ request: { headers: { calls: '2' } } });
    expect(transform.run({ ...input, bodyText: '{"loop":true}' })).toEqual({
      kind: 'error',
      error: 'interrupted after 200 ms',
      logs: [],
    });
    // The runtime was recreated: the global state starts over.
    expect(transform.run(input)).toMatchObject({ request: { headers: { calls: '1' } } });
  });

  it('stops a memory bomb at the memory limit, then runs again', async () => {
    const small = await TransformSandbox.load({
      timeoutMs: 5000,
      memoryBytes: 2 * 1_048_576,
      maxBodyBytes: 1024,
    });
    const transform = small.compile(
      'function handler(r) { if (r.body.bomb) { const o = {}; for (let i = 0; ; i++) o["k" + i] = "v" + i; } return r; }',
    );
    expect(transform.run({ ...input, bodyText: '{"bomb":true}' })).toEqual({
      kind: 'error',
      error: 'out of memory (limit 2 MiB)',
      logs: [],
    });
    expect(transform.run(input).kind).toBe('request');
  });

  it('gives the guest no network, modules, process, timers or host objects', () => {
    const result = sandbox
      .compile(
        `function handler(r) {
          r.headers.globals = [typeof fetch, typeof require, typeof process, typeof setTimeout,
            typeof setInterval, typeof XMLHttpRequest, typeof std, typeof os, typeof Buffer].join(',');
          return r;
        }`,
      )
      .run(input);
    expect(result).toMatchObject({
      request: {
        headers: {
          globals:
            'undefined,undefined,undefined,undefined,undefined,undefined,undefined,undefined,undefined',
        },
      },
    });
  });

  it('bounds the console output', () => {
    const result = sandbox
      .compile(
        'function handler(r) { for (let i = 0; i < 1000; i++) console.warn("x".repeat(5000)); return r; }',
      )
      .run(input);
    expect(result.logs.length).toBeLessThanOrEqual(MAX_LOG_LINES + 1);
    expect(result.logs[0]).toMatch(/^\[warn\] x+…$/);
    expect(result.logs.at(-1)).toMatch(/more line\(s\) not kept$/);
    expect(result.logs.join('').length).toBeLessThanOrEqual(20_000);
  });

  it.each([
    [
      'function handler(r) { return undefined; }',
      'handler returned undefined; return the request to send, or null to skip',
    ],
    [
      'function handler(r) { return 42; }',
      'handler returned a number; return the request to send, or null to skip',
    ],
    [
      'function handler(r) { return [r]; }',
      'handler returned an array; return the request to send, or null to skip',
    ],
    [
      'async function handler(r) { return r; }',
      'handler returned a Promise (handler must not be async); return the request to send, or null to skip',
    ],
    ['function handler(r) { r.body = () => 1; return r; }', 'body must be a string or JSON, not a function'],
    ['function handler(r) { r.headers = "x"; return r; }', 'headers must be an object'],
    [
      'function handler(r) { r.headers["bad name"] = "1"; return r; }',
      'headers: "bad name" is not a valid header name',
    ],
    ['function handler(r) { r.headers.x = { a: 1 }; return r; }', 'headers["x"] must be a string'],
    [
      'function handler(r) { r.headers.x = "a\\r\\nb: c"; return r; }',
      'headers["x"] must not contain line breaks or NUL',
    ],
    ['function handler(r) { r.method = 7; return r; }', 'method must be one of POST, PUT, PATCH'],
    [
      'function handler(r) { r.path = "/a?b"; return r; }',
      'path must be a string of at most 2048 characters without "?", "#" or spaces',
    ],
    [
      'function handler(r) { r.query = [1]; return r; }',
      'query must be an object of parameters or a query string',
    ],
    ['function handler(r) { r.body = "x".repeat(2000); return r; }', 'body is larger than 1024 bytes'],
    ['function handler(r) { return { body: 1n }; }', 'TypeError: Do not know how to serialize a BigInt'],
  ])('refuses a bad return: %s', (source, error) => {
    expect(sandbox.compile(source).run(input)).toMatchObject({ kind: 'error', error });
  });

  it('reports a syntax error with its line on compile', () => {
    expect(() => sandbox.compile('function handler(r) {\n  return r +;\n}')).toThrow(
      new TransformSyntaxError("SyntaxError: unexpected token in expression: ';' (line 2)"),
    );
    expect(() => sandbox.compile('const x = 1;')).toThrow(
      'the transform must define function handler(request)',
    );
    expect(() => sandbox.compile('for (;;) {}')).toThrow('interrupted after 200 ms');
  });

  it('keeps a runtime apart per transform', () => {
    const a = sandbox.compile(
      'globalThis.shared = "a"; function handler(r) { r.headers.s = String(globalThis.shared); return r; }',
    );
    const b = sandbox.compile('function handler(r) { r.headers.s = String(globalThis.shared); return r; }');
    expect(a.run(input)).toMatchObject({ request: { headers: { s: 'a' } } });
    expect(b.run(input)).toMatchObject({ request: { headers: { s: 'undefined' } } });
  });
});
