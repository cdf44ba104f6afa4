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
    [{ REFRESH_TOKEN_TTL: 'forever' }, 'REFRESH_TOKEN_TTL'],
    [{ REFRESH_TOKEN_TTL: '10m' }, 'REFRESH_TOKEN_TTL'],
    [{ JWT_EXPIRES_IN: '2d', REFRESH_TOKEN_TTL: '1d' }, 'REFRESH_TOKEN_TTL'],
    [{ REFRESH_TOKEN_TTL: '400d' }, 'REFRESH_TOKEN_TTL'],
    [{ NODE_ENV: 'production', JWT_SECRET: '' }, 'JWT_SECRET'],
    [{ NODE_ENV: 'production', ENCRYPTION_KEY: '' }, 'ENCRYPTION_KEY'],
    [{ CHAT_HISTORY_MAX_MESSAGES: '0' }, 'CHAT_HISTORY_MAX_MESSAGES'],
    [{ LISTEN_BACKLOG: '0' }, 'LISTEN_BACKLOG'],
    [{ ALLOWED_UPSTREAM_HOSTS: '127.0.0.1, 10.0.0.5:99999' }, 'ALLOWED_UPSTREAM_HOSTS'],
  ])('refuses %j and names %s', (env, variable) => {
    expect(() => validateConfig({ ...BASE, ...env })).toThrow(`Invalid configuration: ${variable}`);
  });
});
