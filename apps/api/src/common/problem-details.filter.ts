import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import type { Response } from 'express';
import { ProblemDetailsDto } from './problem-details';
import { ValidationFailedException } from './validation';
import { PROBLEM_TYPE_BASE } from './http';

function slug(title: string): string {
  return title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/(^-|-$)/g, '');
}

/** Renders every error as `application/problem+json`; unexpected errors are logged and hidden. */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger(ProblemDetailsFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const problem = this.toProblem(exception);
    if (response.headersSent) return;
    response.status(problem.status).type('application/problem+json').json(problem);
  }

  private toProblem(exception: unknown): ProblemDetailsDto {
    if (exception instanceof ValidationFailedException) {
      return {
        type: `${PROBLEM_TYPE_BASE}validation-failed`,
        title: 'Bad Request',
        status: 400,
        detail: exception.message,
        errors: exception.fieldErrors,
      };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const title = STATUS_CODES[status] ?? 'Error';
      const body = exception.getResponse();
      const message = typeof body === 'string' ? body : (body as { message?: string | string[] }).message;
      const detail = Array.isArray(message) ? message.join('; ') : (message ?? title);
      const type = (body as { type?: string }).type ?? slug(title);
      return { type: `${PROBLEM_TYPE_BASE}${type}`, title, status, detail };
    }
    this.logger.error(exception instanceof Error ? exception.stack : String(exception));
    return {
      type: `${PROBLEM_TYPE_BASE}internal-server-error`,
      title: 'Internal Server Error',
      status: HttpStatus.INTERNAL_SERVER_ERROR,
      detail: 'An unexpected error occurred; it has been logged',
    };
  }
}
