import { Logger } from '@nestjs/common';
import type { Logger as TypeOrmLogger } from 'typeorm';

/** Long enough for any driver message we have seen; a statement's text can be long, and it says enough by its start. */
const MAX_TEXT = 1_000;
/** Shorter values are too common to hide without blanking ordinary words of the message. */
const MIN_HIDDEN_VALUE = 4;

const shorten = (text: string) => (text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text);

/**
 * TypeORM's own loggers print every failed statement with its parameters to stdout, and the parameters are what
 * users send and what we keep secret: password and API key hashes, sealed provider keys, chat text, e-mails. This
 * one writes through Nest's logger (so the app's redacting JSON logger and the request id apply) and never writes
 * a parameter: the statement's text (with `$1` placeholders) and the driver's message, from which any parameter
 * value it quotes is cut out.
 */
export class QueryLogger implements TypeOrmLogger {
  private readonly logger = new Logger('Database');

  /** With `logQueries`, every statement is logged (DATABASE_LOG_QUERIES), still without its parameters. */
  constructor(private readonly logQueries: boolean) {}

  logQuery(query: string): void {
    if (this.logQueries) this.logger.log(`query: ${shorten(query)}`);
  }

  logQueryError(error: string | Error, query: string, parameters?: unknown[] | object): void {
    const message = typeof error === 'string' ? error : error.message;
    this.logger.error(`query failed: ${shorten(withoutParameters(message, parameters))}; statement: ${shorten(query)}`);
  }

  logQuerySlow(time: number, query: string): void {
    this.logger.warn(`slow query (${time} ms): ${shorten(query)}`);
  }

  logSchemaBuild(message: string): void {
    if (this.logQueries) this.logger.log(message);
  }

  logMigration(message: string): void {
    this.logger.log(message);
  }

  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    const text = shorten(String(message));
    if (level === 'warn') this.logger.warn(text);
    else this.logger.log(text);
  }
}

/** The text with every parameter value it contains replaced, so a driver message that quotes one does not leak it. */
export function withoutParameters(text: string, parameters: unknown[] | object | undefined): string {
  const values = Array.isArray(parameters) ? parameters : parameters ? Object.values(parameters) : [];
  let result = text;
  for (const value of values) {
    const shown = typeof value === 'string' ? value : Buffer.isBuffer(value) ? value.toString() : typeof value === 'object' && value !== null ? JSON.stringify(value) : undefined;
    if (shown && shown.length >= MIN_HIDDEN_VALUE) result = result.split(shown).join('[redacted]');
  }
  return result;
}
