import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { CookieOptions, Request, Response } from 'express';
import { SecretCipher, signInConfig } from '@app/common';
import { isOidcFlow, OIDC_FLOW_TTL_SECONDS, type OidcFlow } from './oidc-flow.js';

const COOKIE = 'oidc_flow';

/** The value of the cookie named so in a Cookie header (the first, which browsers send for the most specific path). */
function readCookie(header: string | undefined, name: string): string | undefined {
  for (const pair of (header ?? '').split(';')) {
    const separator = pair.indexOf('=');
    if (separator > 0 && pair.slice(0, separator).trim() === name) return pair.slice(separator + 1).trim();
  }
  return undefined;
}

/**
 * Keeps a sign-in's flow (state, nonce, PKCE verifier) in the browser between /login and /callback, sealed with
 * ENCRYPTION_KEY (AES-256-GCM): the browser can neither read nor forge it, and any replica can open it, so no
 * server-side store is needed. httpOnly, SameSite=Lax (the provider's redirect back is a top-level GET, which Lax
 * lets through; a cross-site POST or sub-request does not carry it), scoped to the folder of the callback's public
 * path, and Secure unless the callback is plain HTTP on a loopback host (local development).
 */
@Injectable()
export class OidcFlowCookie {
  private readonly options: CookieOptions;

  constructor(
    private readonly cipher: SecretCipher,
    @Inject(signInConfig.KEY) config: ConfigType<typeof signInConfig>,
  ) {
    const callback = new URL(config.oidc?.redirectUri ?? 'https://unused.invalid/api/auth/oidc/callback');
    const path = callback.pathname.replace(/\/[^/]*$/, '') || '/';
    this.options = { httpOnly: true, sameSite: 'lax', secure: callback.protocol === 'https:', path };
  }

  write(response: Response, flow: OidcFlow): void {
    response.cookie(COOKIE, this.cipher.encrypt(JSON.stringify(flow)), { ...this.options, maxAge: OIDC_FLOW_TTL_SECONDS * 1000 });
  }

  /**
   * The flow this browser started, or null: no cookie, not sealed by us, or expired. Clears the cookie either way,
   * so one flow answers one callback.
   */
  take(request: Request, response: Response): OidcFlow | null {
    const raw = readCookie(request.headers.cookie, COOKIE);
    response.clearCookie(COOKIE, this.options);
    if (raw === undefined) return null;
    try {
      const flow: unknown = JSON.parse(this.cipher.decrypt(decodeURIComponent(raw)));
      return isOidcFlow(flow) && flow.expiresAt > Date.now() ? flow : null;
    } catch {
      return null;
    }
  }
}
