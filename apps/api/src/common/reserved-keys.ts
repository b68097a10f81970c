/**
 * Names that cannot be data in a request body: class-transformer drops `__proto__` keys (a value
 * would change meaning without a word) and fails on an object under a `constructor` key.
 */
const RESERVED_KEYS = new Set(['__proto__', 'constructor']);

/** The path (`filter.body.__proto__`, `items[2].constructor`) of the first reserved key in a JSON value, or null. */
export function reservedKeyPath(value: unknown): string | null {
  const stack: [unknown, string][] = [[value, '']];
  while (stack.length > 0) {
    const [item, path] = stack.pop()!;
    if (Array.isArray(item)) {
      item.forEach((element, index) => stack.push([element, `${path}[${index}]`]));
    } else if (item !== null && typeof item === 'object') {
      for (const [key, child] of Object.entries(item)) {
        const childPath = path ? `${path}.${key}` : key;
        if (RESERVED_KEYS.has(key)) return childPath;
        stack.push([child, childPath]);
      }
    }
  }
  return null;
}

/** The message for a reserved key found at `path`. */
export function reservedKeyMessage(path: string): string {
  return `${path}: "__proto__" and "constructor" are not accepted as names`;
}
