import { generateOpaqueSecret, hashOpaqueSecret } from '@app/common';

/** 256 random bits, base64url, with no prefix: unguessable, and URL-safe as a path segment. */
export const SHARE_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function generateShareToken(): { token: string; tokenHash: string } {
  const token = generateOpaqueSecret('');
  return { token, tokenHash: hashOpaqueSecret(token) };
}
