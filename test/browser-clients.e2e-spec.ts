import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { registerUser, type TestUser } from './factories/user.factory.js';
import { launchChromium, withBrowser } from './helpers/chromium.js';
import { type PageServer, startPageServer } from './helpers/page-server.js';
import { bootTestApp, type TestApp } from './helpers/test-app.js';

/** Browser clients of a portal served from its own origin, as a cross-origin page sees the API. */
withBrowser('browser clients on another origin (e2e)', () => {
  let api: TestApp;
  let portal: PageServer;
  let browser: Browser;
  let page: Page;
  let user: TestUser;

  beforeAll(async () => {
    portal = await startPageServer({ '/': '<!doctype html><title>portal</title>' });
    api = await bootTestApp({ CORS_ORIGINS: portal.origin, LOGIN_LIMIT_PER_ACCOUNT: '2' });
    user = await registerUser(api);
    browser = await launchChromium();
    page = await browser.newPage();
    await page.goto(portal.origin);
  });
  afterAll(async () => {
    await browser?.close();
    await api?.close();
    await portal?.close();
  });

  it('reads X-Request-Id, X-RateLimit-* and Retry-After from cross-origin responses', async () => {
    const seen = await page.evaluate(
      async ({ url, token, email }) => {
        const headersOf = (response: Response) => ({
          status: response.status,
          requestId: response.headers.get('X-Request-Id'),
          limit: response.headers.get('X-RateLimit-Limit'),
          remaining: response.headers.get('X-RateLimit-Remaining'),
          loginRemaining: response.headers.get('X-RateLimit-Remaining-login-account'),
          retryAfter: response.headers.get('Retry-After'),
        });
        const sessions = headersOf(await fetch(`${url}/api/chat/sessions`, { headers: { Authorization: `Bearer ${token}`, 'X-Request-Id': 'portal-req-1' } }));
        const logins = [];
        for (let attempt = 0; attempt < 3; attempt++) {
          const body = JSON.stringify({ email, password: 'not the password' });
          logins.push(headersOf(await fetch(`${url}/api/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body })));
        }
        return { sessions, logins };
      },
      { url: api.url, token: user.token, email: user.email },
    );
    expect(seen.sessions).toEqual(expect.objectContaining({ status: 200, requestId: 'portal-req-1', limit: expect.stringMatching(/^\d+$/), remaining: expect.stringMatching(/^\d+$/) }));
    expect(seen.logins.map((login) => login.status)).toEqual([401, 401, 429]);
    expect(seen.logins[1]!.loginRemaining).toBe('0');
    expect(seen.logins[2]!.retryAfter).toMatch(/^[1-9]\d*$/);
    expect(seen.logins[2]!.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });
});
