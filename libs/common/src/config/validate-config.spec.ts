import { describe, expect, it } from '@jest/globals';
import { parseAppConfig } from './app.config.js';
import { validateConfig } from './validate-config.js';

/** Secrets given, as a deployment would: without them a development start writes generated ones to DATA_DIR. */
const BASE = {
  NODE_ENV: 'test',
  JWT_SECRET: 'test-secret-that-is-at-least-32-characters-long',
  ENCRYPTION_KEY: '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
};

describe('validateConfig', () => {
  it('accepts the defaults', () => {
    expect(() => validateConfig(BASE)).not.toThrow();
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://nope' }, 'DATABASE_URL'],
    [{ ENCRYPTION_KEY: 'too-short' }, 'ENCRYPTION_KEY'],
    [{ JWT_SECRET: 'short' }, 'JWT_SECRET'],
    [{ REFRESH_TOKEN_TTL: 'forever' }, 'REFRESH_TOKEN_TTL'],
    [{ STREAM_TOKEN_TTL: '2h' }, 'STREAM_TOKEN_TTL'],
    [{ REFRESH_TOKEN_TTL: '10m' }, 'REFRESH_TOKEN_TTL'],
    [{ JWT_EXPIRES_IN: '2d', REFRESH_TOKEN_TTL: '1d' }, 'REFRESH_TOKEN_TTL'],
    [{ REFRESH_TOKEN_TTL: '400d' }, 'REFRESH_TOKEN_TTL'],
    [{ NODE_ENV: 'production', METRICS_TOKEN: 'scrape', JWT_SECRET: '' }, 'JWT_SECRET'],
    [{ NODE_ENV: 'production', METRICS_TOKEN: 'scrape', ENCRYPTION_KEY: '' }, 'ENCRYPTION_KEY'],
    [{ NODE_ENV: 'production' }, 'METRICS_TOKEN or METRICS_PORT is required'],
    [{ METRICS_PORT: '0' }, 'METRICS_PORT'],
    [{ METRICS_PORT: '70000' }, 'METRICS_PORT'],
    [{ REDIS_KEY_PREFIX: 'two words' }, 'REDIS_KEY_PREFIX'],
    [{ REDIS_KEY_PREFIX: 'x'.repeat(65) }, 'REDIS_KEY_PREFIX'],
    [{ API_DOCS: 'maybe' }, 'API_DOCS'],
    [{ CHAT_HISTORY_MAX_MESSAGES: '0' }, 'CHAT_HISTORY_MAX_MESSAGES'],
    [{ LISTEN_BACKLOG: '0' }, 'LISTEN_BACKLOG'],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'grpc://collector:4317' }, 'OTEL_EXPORTER_OTLP_ENDPOINT'],
    [{ OTEL_GENAI_CAPTURE_CONTENT: 'maybe' }, 'OTEL_GENAI_CAPTURE_CONTENT'],
    [{ RETENTION_DAYS: '0' }, 'RETENTION_DAYS'],
    [{ RETENTION_DAYS: '30d' }, 'RETENTION_DAYS'],
    [{ ALLOWED_UPSTREAM_HOSTS: '127.0.0.1, 10.0.0.5:99999' }, 'ALLOWED_UPSTREAM_HOSTS'],
    [{ REGISTRATION: 'invite-only' }, 'REGISTRATION'],
    [{ OIDC_ISSUER_URL: 'https://login.example.com' }, 'OIDC_CLIENT_ID'],
  ])('refuses %j and names %s', (env, variable) => {
    expect(() => validateConfig({ ...BASE, ...env })).toThrow(`Invalid configuration: ${variable}`);
  });

  it('starts in production with metrics behind a token or on a port of their own, and the API docs off unless asked for', () => {
    const production = { ...BASE, NODE_ENV: 'production' };
    expect(parseAppConfig({ ...production, METRICS_TOKEN: 'scrape' })).toEqual(expect.objectContaining({ metricsToken: 'scrape', metricsPort: undefined, apiDocs: false }));
    expect(parseAppConfig({ ...production, METRICS_PORT: '9464' })).toEqual(expect.objectContaining({ metricsToken: undefined, metricsPort: 9464 }));
    expect(parseAppConfig({ ...production, METRICS_PORT: '9464', API_DOCS: 'true' }).apiDocs).toBe(true);
    expect(parseAppConfig(BASE).apiDocs).toBe(true);
  });

  it('takes a Redis key prefix with the characters keys are made of, and none by default', () => {
    expect(parseAppConfig({ ...BASE, REDIS_KEY_PREFIX: 'tenant-a:{chat}.1_' }).redisKeyPrefix).toBe('tenant-a:{chat}.1_');
    expect(parseAppConfig(BASE).redisKeyPrefix).toBe('');
  });
});
