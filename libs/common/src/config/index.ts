export * from './env-reader.js';
export * from './app.config.js';
export * from './auth.config.js';
export * from './chat.config.js';
export * from './database.config.js';
export * from './telemetry.config.js';
export * from './upstream.config.js';
export { validateConfig } from './validate-config.js';
