import { describe, expect, it } from '@jest/globals';
import type { Request, Response } from 'express';
import { parseAuthConfig, parseSignInConfig, SecretCipher } from '@app/common';
import { OIDC_FLOW_TTL_SECONDS, type OidcFlow } from './oidc-flow.js';
import { OidcFlowCookie } from './oidc-flow.cookie.js';

const KEY = 'ab'.repeat(32);
const SSO = {
  OIDC_ISSUER_URL: 'https://idp.example.com',
  OIDC_CLIENT_ID: 'chat',
  OIDC_CLIENT_SECRET: 'secret',
  OIDC_POST_LOGIN_REDIRECT: 'https://portal.example.com/',
};

/** The cookie jar of one response and one request, as Express keeps them. */
function exchange(cookieHeader?: string) {
  const set: { name: string; value: string; options: Record<string, unknown> }[] = [];
  const cleared: { name: string; options: Record<string, unknown> }[] = [];
  const response = {
    cookie: (name: string, value: string, options: Record<string, unknown>) => set.push({ name, value, options }),
    clearCookie: (name: string, options: Record<string, unknown>) => cleared.push({ name, options }),
  } as unknown as Response;
  const request = { headers: { cookie: cookieHeader } } as Request;
  return { request, response, set, cleared };
}

function cookies(redirectUri: string, encryptionKey = KEY) {
  const cipher = new SecretCipher(parseAuthConfig({ JWT_SECRET: 'x'.repeat(32), ENCRYPTION_KEY: encryptionKey }));
  return new OidcFlowCookie(cipher, parseSignInConfig({ ...SSO, OIDC_REDIRECT_URI: redirectUri }));
}

const flow = (overrides: Partial<OidcFlow> = {}): OidcFlow => ({ state: 's', nonce: 'n', codeVerifier: 'v', expiresAt: Date.now() + 60_000, ...overrides });

describe('OidcFlowCookie', () => {
  it('seals the flow into a cookie scoped to the callback folder, and gives it back once', () => {
    const jar = cookies('https://chat.example.com/sso/api/auth/oidc/callback');
    const written = exchange();
    jar.write(written.response, flow());
    const [{ name, value, options }] = written.set as [(typeof written.set)[0]];
    expect([name, options]).toEqual(['oidc_flow', { httpOnly: true, sameSite: 'lax', secure: true, path: '/sso/api/auth/oidc', maxAge: OIDC_FLOW_TTL_SECONDS * 1000 }]);
    expect(value).not.toMatch(/"state"|codeVerifier/);

    const read = exchange(`other=1; oidc_flow=${encodeURIComponent(value)}`);
    expect(jar.take(read.request, read.response)).toEqual({ ...flow(), expiresAt: expect.any(Number) });
    expect(read.cleared).toEqual([{ name: 'oidc_flow', options: { httpOnly: true, sameSite: 'lax', secure: true, path: '/sso/api/auth/oidc' } }]);
  });

  it('is not Secure only for a plain-HTTP loopback callback', () => {
    const written = exchange();
    cookies('http://127.0.0.1:3000/api/auth/oidc/callback').write(written.response, flow());
    expect(written.set[0]!.options).toEqual(expect.objectContaining({ secure: false, path: '/api/auth/oidc' }));
  });

  it('refuses a missing, expired, forged or foreign-key cookie, and clears it', () => {
    const jar = cookies('https://chat.example.com/api/auth/oidc/callback');
    const sealed = (value: OidcFlow, other = jar) => {
      const written = exchange();
      other.write(written.response, value);
      return encodeURIComponent(written.set[0]!.value);
    };
    const tampered = decodeURIComponent(sealed(flow())).replace(/.(?=.{4}$)/, (char) => (char === 'A' ? 'B' : 'A'));
    for (const header of [
      undefined,
      'oidc_flow=',
      `oidc_flow=${sealed(flow({ expiresAt: Date.now() - 1 }))}`,
      `oidc_flow=${encodeURIComponent(tampered)}`,
      `oidc_flow=${sealed(flow(), cookies('https://chat.example.com/api/auth/oidc/callback', 'cd'.repeat(32)))}`,
      'oidc_flow=%E0%A4%A',
      'oidc_flow=plain-text',
    ]) {
      const read = exchange(header);
      expect([header, jar.take(read.request, read.response), read.cleared.length]).toEqual([header, null, 1]);
    }
  });
});
