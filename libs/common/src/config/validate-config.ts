import { parseAppConfig } from './app.config.js';
import { parseAuthConfig } from './auth.config.js';
import { parseChatConfig } from './chat.config.js';
import { parseConnectionsConfig } from './connections.config.js';
import { parseDatabaseConfig } from './database.config.js';
import type { Env } from './env-reader.js';
import { parseFilesConfig } from './files.config.js';
import { parseSignInConfig } from './sign-in.config.js';
import { parseTelemetryConfig } from './telemetry.config.js';
import { parseUpstreamConfig } from './upstream.config.js';

/** Every namespace's parser: together they read every variable the server knows (.env.example is checked against them). */
export const CONFIG_PARSERS: readonly ((env: Env) => object)[] = [parseAppConfig, parseAuthConfig, parseChatConfig, parseDatabaseConfig, parseUpstreamConfig, parseSignInConfig, parseTelemetryConfig, parseConnectionsConfig, parseFilesConfig];

/** Parses every namespace once before Nest starts, so a bad value fails fast with one clear line. */
export function validateConfig(env: Env): void {
  for (const parse of CONFIG_PARSERS) parse(env);
}
