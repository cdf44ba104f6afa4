import { describe, expect, it } from '@jest/globals';
import type { ArgumentsHost } from '@nestjs/common';
import type { Request } from 'express';
import { AllExceptionsFilter, AppError } from '@app/common';
import { AnthropicExceptionFilter } from './anthropic-exception.filter.js';
import { OpenAiExceptionFilter, v1ShapeBeforeRouting } from './openai-exception.filter.js';

/** What a filter answered: the status and JSON body it wrote. */
function answer(filter: AllExceptionsFilter, exception: unknown, path = '/v1/chat/completions') {
  const sent: { status?: number; body?: unknown } = {};
  const response = {
    headersSent: false,
    status(code: number) {
      sent.status = code;
      return this;
    },
    json(body: unknown) {
      sent.body = body;
    },
  };
  const request = { path } as Request;
  filter.catch(exception, { switchToHttp: () => ({ getResponse: () => response, getRequest: () => request }) } as unknown as ArgumentsHost);
  return sent;
}

describe('OpenAiExceptionFilter', () => {
  it('answers in OpenAI shape with the status of the common mapping', () => {
    expect(answer(new OpenAiExceptionFilter(), new AppError('UNAUTHENTICATED', 'A valid access token is required'))).toEqual({
      status: 401,
      body: { error: { message: 'A valid access token is required', type: 'authentication_error', param: null, code: 'unauthenticated' } },
    });
    expect(answer(new OpenAiExceptionFilter(), Object.assign(new Error('raw detail'), { status: 413, type: 'entity.too.large' }))).toEqual({
      status: 413,
      body: { error: { message: 'Request body is too large', type: 'invalid_request_error', param: null, code: null } },
    });
  });

  it('gives the global filter OpenAI shape for /v1 paths only (errors raised before routing)', () => {
    const global = new AllExceptionsFilter(v1ShapeBeforeRouting);
    const unknownRoute = Object.assign(new Error('Cannot GET /v1/nope'), { status: 404 });
    expect(answer(global, unknownRoute, '/v1/nope').body).toEqual({ error: expect.objectContaining({ type: 'invalid_request_error' }) });
    expect(answer(global, unknownRoute, '/api/nope').body).toEqual({ statusCode: 404, error: 'Not Found', message: 'Not Found' });
    expect(answer(global, unknownRoute, '/v1models').body).toEqual(expect.objectContaining({ statusCode: 404 }));
    const tooLarge = Object.assign(new Error('raw detail'), { status: 413, type: 'entity.too.large' });
    expect(answer(global, tooLarge, '/v1/messages').body).toEqual({ type: 'error', error: { type: 'request_too_large', message: 'Request body is too large' } });
    expect(answer(global, tooLarge, '/v1/messagesx').body).toEqual({ error: expect.objectContaining({ type: 'invalid_request_error' }) });
  });
});

describe('AnthropicExceptionFilter', () => {
  it("answers in Anthropic's shape with the status of the common mapping", () => {
    expect(answer(new AnthropicExceptionFilter(), new AppError('UNAUTHENTICATED', 'A valid access token is required'), '/v1/messages')).toEqual({
      status: 401,
      body: { type: 'error', error: { type: 'authentication_error', message: 'A valid access token is required' } },
    });
    expect(answer(new AnthropicExceptionFilter(), new AppError('SESSION_NOT_FOUND', 'Session not found'), '/v1/messages').body).toEqual({
      type: 'error',
      error: { type: 'not_found_error', message: 'Session not found' },
    });
  });
});
