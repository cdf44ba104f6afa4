import { registerAs } from '@nestjs/config';
import { devSecret } from './dev-secret.js';
import { ConfigError, EnvReader, type Env } from './env-reader.js';

const KEY_ID = /^[A-Za-z0-9_-]{1,16}$/;
const MAX_REFRESH_TOKEN_TTL_SECONDS = 365 * 86_400;
const MAX_STREAM_TOKEN_TTL_SECONDS = 3600;

/** A 32-byte key given as 64 hex characters or as base64. */
function parseKey(variable: string, raw: string): Buffer {
  const key = /^[0-9a-fA-F]{64}$/.test(raw) ? Buffer.from(raw, 'hex') : Buffer.from(raw, 'base64');
  if (key.length !== 32) throw new ConfigError(variable, 'must be 32 bytes, as 64 hex characters or base64');
  return key;
}

function parseKeyId(variable: string, raw: string): string {
  if (!KEY_ID.test(raw)) throw new ConfigError(variable, 'key ids are 1-16 letters, digits, "-" or "_"');
  return raw;
}

/** `ENCRYPTION_PREVIOUS_KEYS=id1:key1,id2:key2`: retired keys still accepted for decryption during a rotation. */
function parsePreviousKeys(read: EnvReader): Map<string, Buffer> {
  const keys = new Map<string, Buffer>();
  for (const entry of read.list('ENCRYPTION_PREVIOUS_KEYS')) {
    const separator = entry.indexOf(':');
    if (separator < 1) throw new ConfigError('ENCRYPTION_PREVIOUS_KEYS', 'entries must look like keyId:key');
    const id = parseKeyId('ENCRYPTION_PREVIOUS_KEYS', entry.slice(0, separator));
    keys.set(id, parseKey('ENCRYPTION_PREVIOUS_KEYS', entry.slice(separator + 1)));
  }
  return keys;
}

export function parseAuthConfig(env: Env) {
  const read = new EnvReader(env);
  const production = read.string('NODE_ENV') === 'production';
  const dataDir = read.string('DATA_DIR', './data');
  const required = (variable: string) => {
    if (production) throw new ConfigError(variable, 'is required when NODE_ENV=production');
  };

  const jwtSecret = read.string('JWT_SECRET');
  if (jwtSecret !== undefined && jwtSecret.length < 32) throw new ConfigError('JWT_SECRET', 'must be at least 32 characters');
  if (jwtSecret === undefined) required('JWT_SECRET');

  const encryptionKey = read.string('ENCRYPTION_KEY');
  if (encryptionKey === undefined) required('ENCRYPTION_KEY');

  const jwtExpiresInSeconds = read.durationSeconds('JWT_EXPIRES_IN', '15m');
  const refreshTokenTtlSeconds = read.durationSeconds('REFRESH_TOKEN_TTL', '30d');
  // A refresh token that dies before the access token it renews could never be used.
  if (refreshTokenTtlSeconds <= jwtExpiresInSeconds) throw new ConfigError('REFRESH_TOKEN_TTL', 'must be longer than JWT_EXPIRES_IN');
  if (refreshTokenTtlSeconds > MAX_REFRESH_TOKEN_TTL_SECONDS) throw new ConfigError('REFRESH_TOKEN_TTL', 'must be at most 365d');
  const streamTokenTtlSeconds = read.durationSeconds('STREAM_TOKEN_TTL', '60');
  // It sits in a URL, where it can be copied: it is short-lived, and a page renews it with its access token.
  if (streamTokenTtlSeconds > MAX_STREAM_TOKEN_TTL_SECONDS) throw new ConfigError('STREAM_TOKEN_TTL', 'must be at most 1h');

  return {
    jwtSecret: jwtSecret ?? devSecret(dataDir, 'JWT_SECRET', 48).toString('base64'),
    /** Access tokens are short-lived: a refresh token renews them, and logging out ends the refresh token. */
    jwtExpiresInSeconds,
    /** How long a refresh token may wait to be used; each use issues a new one with the full lifetime. */
    refreshTokenTtlSeconds,
    /** How long a stream token (an EventSource's credential in its URL) is accepted; a page renews it to reconnect later. */
    streamTokenTtlSeconds,
    encryptionKeyId: parseKeyId('ENCRYPTION_KEY_ID', read.string('ENCRYPTION_KEY_ID', 'k1')),
    encryptionKey: encryptionKey ? parseKey('ENCRYPTION_KEY', encryptionKey) : devSecret(dataDir, 'ENCRYPTION_KEY', 32),
    previousEncryptionKeys: parsePreviousKeys(read),
    /** Login attempts per minute for one e-mail address, and for one client address. */
    loginLimitPerAccount: read.int('LOGIN_LIMIT_PER_ACCOUNT', 10, { min: 1, max: 10_000 }),
    loginLimitPerIp: read.int('LOGIN_LIMIT_PER_IP', 30, { min: 1, max: 100_000 }),
  };
}

export const authConfig = registerAs('auth', () => parseAuthConfig(process.env));
export type AuthConfig = ReturnType<typeof parseAuthConfig>;
