import { describe, expect, it } from '@jest/globals';
import { parseAppConfig } from './app.config.js';
import { parseAuthConfig } from './auth.config.js';
import { ConfigError, EnvReader } from './env-reader.js';

describe('EnvReader', () => {
  const read = (env: Record<string, string>) => new EnvReader(env);

  it('parses integers within bounds and names the variable otherwise', () => {
    expect(read({ PORT: '8080' }).int('PORT', 3000)).toBe(8080);
    expect(read({}).int('PORT', 3000)).toBe(3000);
    expect(() => read({ PORT: '80a' }).int('PORT', 3000)).toThrow(new ConfigError('PORT', 'must be an integer, got "80a"'));
    expect(() => read({ PORT: '70000' }).int('PORT', 3000, { max: 65535 })).toThrow(/PORT must be between 0 and 65535/);
  });

  it('parses booleans, lists, enums and durations', () => {
    expect(read({ X: 'yes' }).bool('X', false)).toBe(true);
    expect(() => read({ X: 'maybe' }).bool('X', false)).toThrow(/X must be true or false/);
    expect(read({ L: ' a, b ,,c ' }).list('L')).toEqual(['a', 'b', 'c']);
    expect(() => read({ E: 'staging' }).oneOf('E', ['dev', 'prod'] as const, 'dev')).toThrow(/E must be one of dev, prod/);
    expect(read({ D: '15m' }).durationSeconds('D', '1h')).toBe(900);
    expect(read({}).durationSeconds('D', '1h')).toBe(3600);
    expect(() => read({ D: 'soon' }).durationSeconds('D', '1h')).toThrow(/D must be a duration/);
  });

  it('parses byte sizes as body-parser counts them, and refuses anything else', () => {
    expect(read({}).bytes('S', '1mb')).toBe(1024 * 1024);
    expect(read({ S: '512KB' }).bytes('S', '1mb')).toBe(512 * 1024);
    expect(read({ S: '2048' }).bytes('S', '1mb')).toBe(2048);
    expect(read({ S: '1.5kb' }).bytes('S', '1mb')).toBe(1536);
    expect(() => read({ S: 'huge' }).bytes('S', '1mb')).toThrow(/S must be a size/);
    expect(() => read({ S: '0' }).bytes('S', '1mb')).toThrow(/S must be between 1 and/);
  });

  it('reads the body limits: BODY_LIMIT in bytes, BODY_MAX_DEPTH between 1 and 1000', () => {
    expect(parseAppConfig({})).toEqual(expect.objectContaining({ bodyLimit: 1024 * 1024, bodyMaxDepth: 32 }));
    expect(parseAppConfig({ BODY_LIMIT: '64kb', BODY_MAX_DEPTH: '8' })).toEqual(expect.objectContaining({ bodyLimit: 65536, bodyMaxDepth: 8 }));
    expect(parseAppConfig({})).toEqual(expect.objectContaining({ importMaxBytes: 20 * 1024 * 1024 }));
    expect(parseAppConfig({ CHAT_IMPORT_MAX_BYTES: '64kb' })).toEqual(expect.objectContaining({ importMaxBytes: 65536 }));
    expect(() => parseAppConfig({ CHAT_IMPORT_MAX_BYTES: '1gb' })).toThrow(/CHAT_IMPORT_MAX_BYTES must be between/);
    expect(() => parseAppConfig({ BODY_MAX_DEPTH: '0' })).toThrow(/BODY_MAX_DEPTH must be between 1 and 1000/);
    expect(() => parseAppConfig({ BODY_LIMIT: 'lots' })).toThrow(/BODY_LIMIT must be a size/);
  });

  it('checks URL protocols', () => {
    expect(read({ U: 'postgres://x@h/db' }).url('U', ['postgres:'])).toBe('postgres://x@h/db');
    expect(() => read({ U: 'mysql://x' }).url('U', ['postgres:'])).toThrow(/U must use postgres:/);
    expect(() => read({ U: 'not a url' }).url('U', ['postgres:'])).toThrow(/U must be a valid URL/);
  });
});

describe('parseAuthConfig', () => {
  const key = 'ab'.repeat(32);

  it('requires secrets in production', () => {
    expect(() => parseAuthConfig({ NODE_ENV: 'production', ENCRYPTION_KEY: key })).toThrow(/JWT_SECRET is required/);
    expect(() => parseAuthConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) })).toThrow(/ENCRYPTION_KEY is required/);
  });

  it('accepts hex or base64 keys of 32 bytes and previous keys for rotation', () => {
    const config = parseAuthConfig({
      NODE_ENV: 'production',
      JWT_SECRET: 'x'.repeat(32),
      ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
      ENCRYPTION_KEY_ID: 'k2',
      ENCRYPTION_PREVIOUS_KEYS: `k1:${key}`,
    });
    expect(config.encryptionKey).toEqual(Buffer.alloc(32, 7));
    expect(config.previousEncryptionKeys.get('k1')).toEqual(Buffer.from(key, 'hex'));
    expect(() => parseAuthConfig({ JWT_SECRET: 'x'.repeat(32), ENCRYPTION_KEY: 'abcd' })).toThrow(/ENCRYPTION_KEY must be 32 bytes/);
    expect(() => parseAuthConfig({ JWT_SECRET: 'x'.repeat(32), ENCRYPTION_KEY: key, ENCRYPTION_PREVIOUS_KEYS: 'nokey' })).toThrow(
      /ENCRYPTION_PREVIOUS_KEYS entries must look like keyId:key/,
    );
  });
});
