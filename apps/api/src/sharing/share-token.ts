import { createHash, randomBytes } from 'node:crypto';

/** 256 random bits, base64url: unguessable, and URL-safe as a path segment. */
export const SHARE_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function generateShareToken(): { token: string; tokenHash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, tokenHash: hashShareToken(token) };
}

/** 256 random bits need no slow hash: SHA-256 makes a stolen table useless and lookups cheap. */
export function hashShareToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
