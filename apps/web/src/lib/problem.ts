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

/**
 * Whether asking again may succeed: a server error, a network failure (no problem answer), or
 * `429` (too many of this user's requests at once; the server asks to retry after a second).
 */
export function mayRetry(error: unknown): boolean {
  const status = problemOf(error)?.status ?? 500;
  return status >= 500 || status === 429;
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
  api: 'API',
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

/**
 * The API's message for one input field, if any, starting with `label` when the form names the
 * field otherwise: the API words most messages with the field's name ("Secret must be at least 12
 * characters long", for what the form calls "Token"), a few with its path ("http.url is required").
 */
export function fieldError(error: unknown, field: string, label = fieldLabel(field)): string | undefined {
  const message = problemOf(error)?.errors?.find((entry) => entry.field === field)?.message;
  const named = [field, fieldLabel(field)].find((name) => message?.startsWith(`${name} `));
  return message && named ? `${label}${message.slice(named.length)}` : message;
}

/** The error to show above a form: field errors are shown next to their inputs instead. */
export function formError(error: unknown): string | undefined {
  if (!error) return undefined;
  return problemOf(error)?.errors?.length ? undefined : errorMessage(error);
}
