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

/**
 * The message the API gave for one input field, if any. With `label`, the field's path at the
 * start of the message ("http.timeoutMs must not be …") reads as the form's label instead.
 */
export function fieldError(error: unknown, field: string, label?: string): string | undefined {
  const message = problemOf(error)?.errors?.find((entry) => entry.field === field)?.message;
  if (!message || !label || !message.startsWith(`${field} `)) return message;
  return `${label}${message.slice(field.length)}`
    .replace('must be a number conforming to the specified constraints', 'must be a number')
    .replace('must be an integer number', 'must be a whole number')
    .replace(/must be longer than or equal to (\d+) characters/, 'must be at least $1 characters long')
    .replace(/must be shorter than or equal to (\d+) characters/, 'must be at most $1 characters long');
}

/** The error to show above a form: field errors are shown next to their inputs instead. */
export function formError(error: unknown): string | undefined {
  if (!error) return undefined;
  return problemOf(error)?.errors?.length ? undefined : errorMessage(error);
}
