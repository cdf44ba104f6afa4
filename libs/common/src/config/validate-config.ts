import { parseAppConfig } from './app.config.js';
import { parseAuthConfig } from './auth.config.js';
import { parseChatConfig } from './chat.config.js';
import { parseDatabaseConfig } from './database.config.js';
import type { Env } from './env-reader.js';
import { parseTelemetryConfig } from './telemetry.config.js';
import { parseUpstreamConfig } from './upstream.config.js';

/** Parses every namespace once before Nest starts, so a bad value fails fast with one clear line. */
export function validateConfig(env: Env): void {
  for (const parse of [parseAppConfig, parseAuthConfig, parseChatConfig, parseDatabaseConfig, parseTelemetryConfig, parseUpstreamConfig]) {
    parse(env);
  }
}
