import { describe, expect, it } from '@jest/globals';
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
    [{ NODE_ENV: 'production', JWT_SECRET: '' }, 'JWT_SECRET'],
    [{ NODE_ENV: 'production', ENCRYPTION_KEY: '' }, 'ENCRYPTION_KEY'],
    [{ CHAT_HISTORY_MAX_MESSAGES: '0' }, 'CHAT_HISTORY_MAX_MESSAGES'],
    [{ LISTEN_BACKLOG: '0' }, 'LISTEN_BACKLOG'],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'grpc://collector:4317' }, 'OTEL_EXPORTER_OTLP_ENDPOINT'],
    [{ OTEL_GENAI_CAPTURE_CONTENT: 'maybe' }, 'OTEL_GENAI_CAPTURE_CONTENT'],
    [{ RETENTION_DAYS: '0' }, 'RETENTION_DAYS'],
    [{ RETENTION_DAYS: '30d' }, 'RETENTION_DAYS'],
    [{ ALLOWED_UPSTREAM_HOSTS: '127.0.0.1, 10.0.0.5:99999' }, 'ALLOWED_UPSTREAM_HOSTS'],
  ])('refuses %j and names %s', (env, variable) => {
    expect(() => validateConfig({ ...BASE, ...env })).toThrow(`Invalid configuration: ${variable}`);
  });
});
