import { describe, expect, it } from '@jest/globals';
import { mayRetry } from './problem';

const problem = (status: number) => ({ type: 'about:blank', title: 'x', status, detail: 'x' });

describe('mayRetry', () => {
  it('retries server errors, network failures and 429, not other client errors', () => {
    expect(mayRetry(problem(503))).toBe(true);
    expect(mayRetry(problem(500))).toBe(true);
    expect(mayRetry(problem(429))).toBe(true);
    expect(mayRetry(new TypeError('Failed to fetch'))).toBe(true);
    expect(mayRetry(problem(400))).toBe(false);
    expect(mayRetry(problem(401))).toBe(false);
    expect(mayRetry(problem(404))).toBe(false);
  });
});
