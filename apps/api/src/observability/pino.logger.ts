/**
 * Logging is pino through nestjs-pino: its Logger is Nest's logger, and it keeps the logger of the request being
 * served in async context, so every line logged on a request's behalf carries its id. The request logger itself
 * (pino-http, request-logging.middleware.ts) is ours to mount, as the app's first middleware (`useExisting`):
 * nestjs-pino mounts it as Nest module middleware, which runs after the app's own (the body parser, CORS) and only
 * under the global prefix and its exclusions, so refused bodies, CORS preflights and unknown paths would go unlogged
 * and answered without their X-Request-Id.
 */
import type { LogLevel } from '@nestjs/common';
import { trace } from '@opentelemetry/api';
import type { Params } from 'nestjs-pino';
import pino, { type Logger } from 'pino';
import { messageLogging } from './message-logging.js';

/** The one pino logger of the process; request loggers are its children. */
export const ROOT_LOGGER = Symbol('ROOT_LOGGER');

const PINO_LEVEL: Record<LogLevel, pino.Level> = {
  fatal: 'fatal',
  error: 'error',
  warn: 'warn',
  log: 'info',
  debug: 'debug',
  verbose: 'trace',
};

/** Paths pino blanks in every line: credentials must never reach a log, whatever logs them. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.headers["x-goog-api-key"]',
  'res.headers["set-cookie"]',
  'apiKey',
  '*.apiKey',
  'password',
  '*.password',
];

/**
 * The active span's ids on every line logged while it runs, so that a line leads to its trace and back. With
 * tracing off no span is ever active: one lookup in an empty context per line. A new object every time: pino
 * merges each line's fields into what the mixin returns.
 */
export function traceIds(): { trace_id?: string; span_id?: string } {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}

export function createRootLogger(level: LogLevel): Logger {
  return pino({ level: PINO_LEVEL[level], redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, base: { service: 'llm-chat-backend' }, mixin: traceIds });
}

/**
 * nestjs-pino writes through our root logger, takes each request's logger from pino-http (`req.log`), and gives
 * NATS messages the same context.
 */
export function loggerParams(root: Logger): Params {
  return { pinoHttp: { logger: root }, useExisting: true, microservice: messageLogging };
}
