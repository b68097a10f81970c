/** The API's one error shape (`application/problem+json`), as the generated client throws it. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: { field: string; message: string }[];
}

export function problemOf(error: unknown): ProblemDetails | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const candidate = error as Partial<ProblemDetails>;
  return typeof candidate.status === 'number' && typeof candidate.detail === 'string'
    ? (candidate as ProblemDetails)
    : undefined;
}

export function hasStatus(error: unknown, status: number): boolean {
  return problemOf(error)?.status === status;
}

/** A sentence to show for a failed request. */
export function errorMessage(error: unknown): string {
  const problem = problemOf(error);
  if (problem) return problem.detail;
  if (error instanceof TypeError) return 'The server cannot be reached. Check your connection and try again.';
  return 'Something went wrong. Try again.';
}

/** Words that are written otherwise than as a capitalised word in a field's label. */
const WORDS: Record<string, string> = {
  url: 'URL',
  id: 'ID',
  ip: 'IP',
  http: 'HTTP',
  json: 'JSON',
  ms: '(ms)',
};

/** A field's path in words: `http.maxRetries` → "Max retries", `currentPassword` → "Current password". */
export function fieldLabel(field: string): string {
  const name = field.split('.').at(-1) ?? field;
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(' ')
    .map((word) => WORDS[word] ?? word)
    .join(' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The validator's phrasing, as people say it. */
const PHRASES: [RegExp, string][] = [
  [/must not be greater than (\S+)/, 'must be at most $1'],
  [/must not be less than (\S+)/, 'must be at least $1'],
  [/must be a number conforming to the specified constraints/, 'must be a number'],
  [/must be an integer number/, 'must be a whole number'],
  [/must be a boolean value/, 'must be on or off'],
  [/must be longer than or equal to 1 characters/, 'must not be empty'],
  [/must be longer than or equal to (\d+) characters/, 'must be at least $1 characters long'],
  [/must be shorter than or equal to (\d+) characters/, 'must be at most $1 characters long'],
  [/must be one of the following values: /, 'must be one of '],
];

/**
 * The API's message for one input field, if any, in words: the field's path at the start of the
 * message reads as `label` (by default the path in words), so "http.maxRetries must not be
 * greater than 50" becomes "Max retries must be at most 50".
 */
export function fieldError(error: unknown, field: string, label = fieldLabel(field)): string | undefined {
  const message = problemOf(error)?.errors?.find((entry) => entry.field === field)?.message;
  if (!message) return undefined;
  const worded = message.startsWith(`${field} `) ? `${label}${message.slice(field.length)}` : message;
  return PHRASES.reduce((text, [phrase, words]) => text.replace(phrase, words), worded);
}

/** The error to show above a form: field errors are shown next to their inputs instead. */
export function formError(error: unknown): string | undefined {
  if (!error) return undefined;
  return problemOf(error)?.errors?.length ? undefined : errorMessage(error);
}
