import type { LoggerService, LogLevel } from '@nestjs/common';
import pino, { type Logger } from 'pino';
import { requestContext } from './request-context.js';

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

export function createRootLogger(level: LogLevel): Logger {
  return pino({ level: PINO_LEVEL[level], redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, base: { service: 'llm-chat-backend' } });
}

/** Nest's logger interface over pino: one JSON line per call, with the current request's id when there is one. */
export class PinoLoggerService implements LoggerService {
  constructor(private readonly root: Logger) {}

  log(message: unknown, context?: string) {
    this.write('info', message, context);
  }
  error(message: unknown, trace?: string, context?: string) {
    this.write('error', message, context, trace);
  }
  warn(message: unknown, context?: string) {
    this.write('warn', message, context);
  }
  debug(message: unknown, context?: string) {
    this.write('debug', message, context);
  }
  verbose(message: unknown, context?: string) {
    this.write('trace', message, context);
  }
  fatal(message: unknown, context?: string) {
    this.write('fatal', message, context);
  }

  private write(level: pino.Level, message: unknown, context?: string, trace?: string) {
    const log = requestContext.getStore()?.log ?? this.root;
    if (!log.isLevelEnabled(level)) return;
    const fields = { ...(context && { context }), ...(trace && { stack: trace }) };
    if (message instanceof Error) log[level]({ ...fields, err: message }, message.message);
    else if (typeof message === 'object' && message !== null) log[level]({ ...fields, ...message });
    else log[level](fields, String(message));
  }
}
