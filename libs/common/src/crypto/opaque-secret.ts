import { createHash, randomBytes } from 'node:crypto';

/** 256 random bits, base64url, behind a prefix that says what the secret is (to people and secret scanners). */
export function generateOpaqueSecret(prefix: string): string {
  return prefix + randomBytes(32).toString('base64url');
}

/**
 * How opaque secrets (API keys, refresh tokens) are stored and looked up. 256 random bits need no slow hash:
 * SHA-256 makes a stolen table useless and lookups cheap.
 */
export function hashOpaqueSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}
