import { beforeAll, describe, expect, it } from '@jest/globals';
import { BadRequestException, HttpException, InternalServerErrorException, Logger } from '@nestjs/common';
import { AllExceptionsFilter } from './all-exceptions.filter.js';
import { JsonLimitError } from '../input/json-limits.js';
import { AppError } from './app.error.js';

const filter = new AllExceptionsFilter();

beforeAll(() => Logger.overrideLogger(false));

describe('AllExceptionsFilter', () => {
  it('maps domain errors through the code table', () => {
    expect(filter.toBody(new AppError('SESSION_NOT_FOUND', 'Session not found'))).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: 'Session not found',
      code: 'SESSION_NOT_FOUND',
    });
  });

  it('joins validation messages into one string', () => {
    expect(filter.toBody(new BadRequestException(['a is bad', 'b is bad']))).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: 'a is bad; b is bad',
    });
  });

  it('answers a JSON limit refusal with its status and the message naming the limit', () => {
    // As body-parser passes it on: its own properties added, the status kept.
    const refusal = Object.assign(new JsonLimitError(400, 'entity.too.deep', 'JSON body is nested deeper than 32 levels'), { expose: true, body: '[[[' });
    expect(filter.toBody(refusal)).toEqual({ statusCode: 400, error: 'Bad Request', message: 'JSON body is nested deeper than 32 levels' });
  });

  it('answers body-parser failures with their 4xx status and a fixed message', () => {
    expect(filter.toBody(Object.assign(new Error('raw detail'), { status: 413, type: 'entity.too.large' }))).toEqual({
      statusCode: 413,
      error: 'Payload Too Large',
      message: 'Request body is too large',
    });
  });

  it('answers 503 when the database cannot be reached', () => {
    for (const error of [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }), new Error('Connection terminated unexpectedly'), Object.assign(new Error('x'), { driverError: { code: '57P01' } })]) {
      expect(filter.toBody(error)).toEqual({ statusCode: 503, error: 'Service Unavailable', message: 'The database is unavailable; retry shortly', code: 'DATABASE_UNAVAILABLE' });
    }
  });

  it('hides the detail of anything else behind a 500 with an error id', () => {
    for (const error of [new Error('db password is hunter2'), new InternalServerErrorException('secret'), 'thrown string', new HttpException('x', 502)]) {
      const body = filter.toBody(error);
      expect(body).toEqual({ statusCode: 500, error: 'Internal Server Error', message: 'Internal server error', errorId: expect.any(String) });
    }
  });
});
