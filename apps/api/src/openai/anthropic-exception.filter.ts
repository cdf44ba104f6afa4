import { Catch } from '@nestjs/common';
import { AllExceptionsFilter, type ErrorBody } from '@app/common';

const ANTHROPIC_TYPE_BY_STATUS: Record<number, string> = {
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  503: 'overloaded_error',
};

/** Anthropic's error shape, `{type: "error", error: {type, message}}`, which Anthropic clients map to their error classes. */
export function toAnthropicError(body: ErrorBody) {
  const type = ANTHROPIC_TYPE_BY_STATUS[body.statusCode] ?? (body.statusCode >= 500 ? 'api_error' : 'invalid_request_error');
  return { type: 'error', error: { type, message: body.message } };
}

/** /v1/messages answers every error in Anthropic's shape; statuses and messages stay the global filter's. */
@Catch()
export class AnthropicExceptionFilter extends AllExceptionsFilter {
  constructor() {
    super(() => toAnthropicError);
  }
}
