import type { UpstreamHttpClient } from '@app/ai';
import { AppError, maskSecret, type SecretCipher } from '@app/common';

/** A key as the database holds it, for a user's settings and a connection alike: sealed, and masked for display. */
export function sealKey(cipher: SecretCipher, apiKey: string): { apiKeyEncrypted: string; apiKeyHint: string } {
  return { apiKeyEncrypted: cipher.encrypt(apiKey), apiKeyHint: maskSecret(apiKey) };
}

/** The SSRF rules of every base URL saved through the API: 400 UPSTREAM_URL_REJECTED before it is stored. */
export async function assertSafeBaseUrl(http: UpstreamHttpClient, baseUrl: string): Promise<void> {
  try {
    await http.assertSafeUrl(baseUrl);
  } catch (error) {
    throw new AppError('UPSTREAM_URL_REJECTED', `baseUrl is not allowed: ${error instanceof Error ? error.message : 'rejected'}`);
  }
}
