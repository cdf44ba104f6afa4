import { ConsoleLogger, Logger, type LoggerService } from '@nestjs/common';

/** Captures what goes through Nest's logger, where the app's redacting JSON logger sits; `restoreLogs` undoes it. */
export function captureLogs(): string[] {
  const lines: string[] = [];
  const capture = (...parts: unknown[]) => void lines.push(parts.map(String).join(' '));
  const service: LoggerService = { log: capture, error: capture, warn: capture, debug: capture, verbose: capture, fatal: capture };
  Logger.overrideLogger(service);
  return lines;
}

export function restoreLogs(): void {
  Logger.overrideLogger(new ConsoleLogger());
}
