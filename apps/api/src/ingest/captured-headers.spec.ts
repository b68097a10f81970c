import { captureHeaders, MAX_EVENT_HEADER_BYTES, MAX_EVENT_HEADERS } from './captured-headers';

describe('captureHeaders', () => {
  it('keeps the headers, joined as node joins them, with NUL replaced', () => {
    expect(
      captureHeaders(['X-A', '1', 'Set-Cookie', 'a', 'Set-Cookie', 'b', 'X-B', 'x\u0000'], {
        'x-a': '1',
        'set-cookie': ['a', 'b'],
        'x-b': 'x\u0000',
      }),
    ).toEqual({ headers: { 'x-a': '1', 'set-cookie': 'a, b', 'x-b': 'x\uFFFD' } });
  });

  it('refuses more than MAX_EVENT_HEADERS headers', () => {
    const raw = Array.from({ length: MAX_EVENT_HEADERS + 1 }, (_, i) => [`x-${i}`, 'v']).flat();
    expect(captureHeaders(raw, {})).toEqual({
      refused: `The request has ${MAX_EVENT_HEADERS + 1} headers; at most ${MAX_EVENT_HEADERS} are accepted`,
    });
    expect(captureHeaders(raw.slice(2), {})).toEqual({ headers: {} });
  });

  it('refuses more than MAX_EVENT_HEADER_BYTES of names and values', () => {
    const value = 'v'.repeat(MAX_EVENT_HEADER_BYTES - 1);
    expect(captureHeaders(['x', value], { x: value })).toEqual({ headers: { x: value } });
    expect(captureHeaders(['xy', value], {})).toEqual({
      refused: `The request headers have ${MAX_EVENT_HEADER_BYTES + 1} bytes of names and values; at most ${MAX_EVENT_HEADER_BYTES} are accepted`,
    });
  });
});
