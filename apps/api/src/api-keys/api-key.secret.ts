import { generateOpaqueSecret, hashOpaqueSecret } from '@app/common';

/** Recognisable in configs and secret scanners, and tells the auth guard to look the token up as a key. */
export const API_KEY_PREFIX = 'sk-chat-';
const DISPLAY_LENGTH = API_KEY_PREFIX.length + 4;

export function generateApiKey(): { secret: string; prefix: string; secretHash: string } {
  const secret = generateOpaqueSecret(API_KEY_PREFIX);
  return { secret, prefix: secret.slice(0, DISPLAY_LENGTH), secretHash: hashOpaqueSecret(secret) };
}
