import { createHash, randomBytes } from 'node:crypto';

/** Recognisable in configs and secret scanners, and tells the auth guard to look the token up as a key. */
export const API_KEY_PREFIX = 'sk-chat-';
const DISPLAY_LENGTH = API_KEY_PREFIX.length + 4;

export function generateApiKey(): { secret: string; prefix: string; secretHash: string } {
  const secret = API_KEY_PREFIX + randomBytes(32).toString('base64url');
  return { secret, prefix: secret.slice(0, DISPLAY_LENGTH), secretHash: hashApiKey(secret) };
}

/** 256 random bits need no slow hash: SHA-256 makes a stolen table useless and lookups cheap. */
export function hashApiKey(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}
