import { storableText } from './storable-text';

describe('storableText', () => {
  it('replaces NUL, which PostgreSQL refuses in text, with U+FFFD', () => {
    expect(storableText('a\u0000b\u0000', 100)).toBe('a\uFFFDb\uFFFD');
  });

  it('cuts text longer than the cap, marking the cut', () => {
    expect(storableText('x'.repeat(50), 10)).toBe(`${'x'.repeat(9)}…`);
    expect(storableText('short', 10)).toBe('short');
  });

  it('keeps null', () => {
    expect(storableText(null, 10)).toBeNull();
  });
});
