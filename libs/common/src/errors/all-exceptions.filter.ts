import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import { JsonLimitError } from '../input/json-limits.js';
import { AppError } from './app.error.js';
import { databaseErrorCode } from './database-error-code.js';

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  code?: string;
  errorId?: string;
}

/** Errors raised by Express middleware (body-parser) before Nest routing; they carry a 4xx status and a type. */
interface MiddlewareError {
  status?: number;
  statusCode?: number;
  type?: string;
  expose?: boolean;
}

const MIDDLEWARE_MESSAGES: Record<string, string> = {
  'entity.parse.failed': 'Malformed JSON body',
  'entity.too.large': 'Request body is too large',
  'encoding.unsupported': 'Unsupported content encoding',
  'charset.unsupported': 'Unsupported charset',
  'request.aborted': 'Request aborted',
};

/** Driver failures that mean "the database cannot be reached right now", not a bug: answered 503. */
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '08000', '08001', '08003', '08006']);
const UNAVAILABLE_MESSAGE = /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|not currently accepting connections|the database system is (starting up|shutting down)/i;

function isDatabaseUnavailable(exception: unknown): boolean {
  const code = databaseErrorCode(exception);
  const message = (exception as { message?: unknown } | undefined)?.message;
  return (code !== undefined && UNAVAILABLE_CODES.has(code)) || (typeof message === 'string' && UNAVAILABLE_MESSAGE.test(message));
}

function httpExceptionMessage(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : exception.message;
}

/**
 * Picks another body for a request's errors, from the one this filter builds: an API that mimics another vendor's
 * (or none: ours). Apps pass one in for errors raised before routing, which no controller-bound filter sees.
 */
export type ErrorShapeChooser = (request: Request) => ((body: ErrorBody) => unknown) | undefined;

/**
 * The one place that maps failures to statuses and bodies: `{statusCode, error, message}` (or the shape the chooser
 * picks), an errorId for 5xx. A controller that answers in another shape binds a subclass with its own chooser.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  constructor(private readonly shapeFor: ErrorShapeChooser = () => undefined) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const response = http.getResponse<Response>();
    const body = this.toBody(exception);
    if (response.headersSent) {
      // A stream already started: nothing can be answered any more, only the connection closed.
      response.end();
      return;
    }
    const shape = this.shapeFor(http.getRequest<Request>());
    response.status(body.statusCode).json(shape ? shape(body) : body);
  }

  toBody(exception: unknown): ErrorBody {
    if (exception instanceof AppError) {
      return this.body(exception.status, exception.message, exception.code);
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      if (status < 500) return this.body(status, httpExceptionMessage(exception));
    }
    // Its message names the configured limit and nothing of the body.
    if (exception instanceof JsonLimitError) return this.body(exception.status, exception.message);
    const middleware = exception as MiddlewareError | undefined;
    const status = middleware?.status ?? middleware?.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return this.body(status, MIDDLEWARE_MESSAGES[middleware?.type ?? ''] ?? STATUS_CODES[status] ?? 'Bad request');
    }
    if (isDatabaseUnavailable(exception)) {
      this.logger.warn(`Database unavailable: ${(exception as Error).message}`);
      return this.body(HttpStatus.SERVICE_UNAVAILABLE, 'The database is unavailable; retry shortly', 'DATABASE_UNAVAILABLE');
    }
    const errorId = randomUUID();
    this.logger.error(`Unhandled error ${errorId}`, exception instanceof Error ? exception.stack : String(exception));
    return { ...this.body(HttpStatus.INTERNAL_SERVER_ERROR, 'Internal server error'), errorId };
  }

  private body(statusCode: number, message: string, code?: string): ErrorBody {
    return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message, ...(code && { code }) };
  }
}
