import { storableText } from './storable-text';

describe('storableText', () => {
  it('replaces NUL, which PostgreSQL refuses in text, with U+FFFD', () => {
    expect(storableText('a\u0000b\u0000', 100)).toBe('a\uFFFDb\uFFFD');
  });

  it('cuts text longer than the cap, marking the cut', () => {
    expect(storableText('x'.repeat(50), 10)).toBe(`${'x'.repeat(9)}…`);
    expect(storableText('short', 10)).toBe('short');
  });

  it('keeps everything else, and has no cap unless asked', () => {
    expect(storableText('caf\u00e9\tok')).toBe('caf\u00e9\tok');
    expect(storableText('y'.repeat(100_000))).toHaveLength(100_000);
  });

  it('keeps null', () => {
    expect(storableText(null, 10)).toBeNull();
  });
});
