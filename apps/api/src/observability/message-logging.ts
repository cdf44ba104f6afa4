import type { ExecutionContext } from '@nestjs/common';
import type { NatsContext } from '@nestjs/microservices';
import type { MicroserviceParams } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import { AllExceptionsFilter } from '@app/common';
import { REQUEST_ID } from './request-logging.middleware.js';

const errors = new AllExceptionsFilter();

/**
 * Messages are logged as requests are: one line each, with the request id the caller sent (the `x-request-id`
 * NATS header, when it is sane) or a new one, which nestjs-pino puts on every line logged while handling it.
 */
export const messageLogging: MicroserviceParams = {
  genReqId: (context: ExecutionContext) => {
    const given = context.switchToRpc().getContext<NatsContext>().getHeaders()?.get('x-request-id');
    return given && REQUEST_ID.test(given) ? given : randomUUID();
  },
  // The hook sees an error before the filter answers it: a refusal (4xx) is a warning, as over HTTP.
  customLogLevel: (_context, error) => (!error ? 'info' : errors.toBody(error).statusCode >= 500 ? 'error' : 'warn'),
};
