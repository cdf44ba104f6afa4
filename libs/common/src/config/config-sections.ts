import { appConfig } from './app.config.js';
import { authConfig } from './auth.config.js';
import { chatConfig } from './chat.config.js';
import { connectionsConfig } from './connections.config.js';
import { databaseConfig } from './database.config.js';
import { filesConfig } from './files.config.js';
import { signInConfig } from './sign-in.config.js';
import { telemetryConfig } from './telemetry.config.js';
import { upstreamConfig } from './upstream.config.js';

/** Every namespace, for ConfigModule's `load`: the app's and the medium tests' are the same list. */
export const CONFIG_SECTIONS = [appConfig, authConfig, chatConfig, databaseConfig, signInConfig, telemetryConfig, upstreamConfig, connectionsConfig, filesConfig];

