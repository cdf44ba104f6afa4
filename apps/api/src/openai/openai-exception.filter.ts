import { Catch } from '@nestjs/common';
import { AllExceptionsFilter, type ErrorBody, type ErrorShapeChooser } from '@app/common';
import { toAnthropicError } from './anthropic-exception.filter.js';

const OPENAI_TYPE_BY_STATUS: Record<number, string> = {
  401: 'authentication_error',
  402: 'insufficient_quota',
  403: 'permission_error',
  429: 'rate_limit_error',
};

/** OpenAI's error shape, `{error: {message, type, param, code}}`, which OpenAI clients map to their error classes. */
export function toOpenAiError(body: ErrorBody) {
  const type = OPENAI_TYPE_BY_STATUS[body.statusCode] ?? (body.statusCode >= 500 ? 'server_error' : 'invalid_request_error');
  return { error: { message: body.message, type, param: null, code: body.code?.toLowerCase() ?? null } };
}

/**
 * The /v1 controllers answer every error in OpenAI's shape; statuses, messages and the errorId logging of 5xx stay
 * the global filter's, so there is one mapping of errors to statuses.
 */
@Catch()
export class OpenAiExceptionFilter extends AllExceptionsFilter {
  constructor() {
    super(() => toOpenAiError);
  }
}

/** The /v1 routes (outside the `api` global prefix), and Anthropic's among them. */
const V1_ROUTES = /^\/v1\//;
const ANTHROPIC_ROUTES = /^\/v1\/messages(\/|$)/;

/**
 * For the global filter: a body that Express's parser refuses, or a /v1 route that does not exist, fails before
 * routing, where no controller-bound filter sees it; an OpenAI or Anthropic client must still read that error.
 */
export const v1ShapeBeforeRouting: ErrorShapeChooser = (request) =>
  ANTHROPIC_ROUTES.test(request.path) ? toAnthropicError : V1_ROUTES.test(request.path) ? toOpenAiError : undefined;
