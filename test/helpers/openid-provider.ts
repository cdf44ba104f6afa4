import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type Configuration } from 'oidc-provider';

/** Who a test signs in as: the claims the provider releases for the login name used at its sign-in form. */
export interface TestIdentity {
  email?: string;
  emailVerified?: boolean;
  name?: string;
  groups?: string[];
}

export interface TestClient {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
}

/** The provider warns, rightly, that it runs on development keys, storage and pages, and on Node 20: what a test wants. */
function withoutDevelopmentWarnings<T>(build: () => T): T {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (!String(args[0]).startsWith('oidc-provider WARNING')) warn(...args);
  };
  try {
    return build();
  } finally {
    console.warn = warn;
  }
}

/**
 * A real OpenID provider (the `oidc-provider` package) on a loopback port, with its development sign-in and consent
 * pages: any login name with any password signs in as that subject. Claims come from `identities`, which a test
 * changes between logins. `email` and `groups` are released through their scopes: by default (the package's
 * conformIdTokenClaims) through the userinfo endpoint only, as providers that follow the spec strictly do; with
 * `claimsInIdToken` in the ID token too, as Keycloak and Entra ID do.
 */
export class TestOpenIdProvider {
  readonly identities = new Map<string, TestIdentity>();

  private constructor(
    private readonly server: Server,
    readonly issuer: string,
  ) {}

  static async start(client: TestClient, { claimsInIdToken = false } = {}): Promise<TestOpenIdProvider> {
    const server = createServer();
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const started = new TestOpenIdProvider(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    const configuration: Configuration = {
      clients: [
        {
          client_id: client.clientId,
          client_secret: client.clientSecret,
          redirect_uris: [client.redirectUri],
          grant_types: ['authorization_code'],
          response_types: ['code'],
          // openid-client's default client authentication.
          token_endpoint_auth_method: 'client_secret_post',
        },
      ],
      claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
      scopes: ['openid', 'email', 'profile', 'groups'],
      conformIdTokenClaims: !claimsInIdToken,
      findAccount: (_context, subject) => ({
        accountId: subject,
        claims: () => {
          const identity = started.identities.get(subject) ?? {};
          return { sub: subject, email: identity.email, email_verified: identity.emailVerified, name: identity.name, groups: identity.groups };
        },
      }),
      // Fixed cookie keys and no rotation: the provider lives for one test file.
      cookies: { keys: ['test-cookie-key-that-is-long-enough'] },
      // Lifetimes given, which also keeps the provider from printing a notice for each default it uses.
      ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 600, Grant: 600 },
    };
    server.on('request', withoutDevelopmentWarnings(() => new Provider(started.issuer, configuration)).callback());
    return started;
  }

  /** Stops answering; closing twice is harmless (a test may take the provider down before the suite ends). */
  async close(): Promise<void> {
    if (!this.server.listening) return;
    this.server.closeAllConnections();
    await new Promise((done) => this.server.close(done));
  }
}

/**
 * What a browser does with redirects and cookies, by hand: each request is sent with the cookies this jar holds for
 * its origin and path, never follows a redirect by itself, and keeps the cookies the answer sets. Cookies are kept per
 * origin (host and port), so the provider's and our server's never mix although both are on 127.0.0.1.
 */
export class TestBrowser {
  private readonly cookies = new Map<string, { origin: string; name: string; value: string; path: string }>();

  async request(url: string | URL, init: { method?: string; form?: Record<string, string> } = {}): Promise<Response> {
    const target = new URL(url);
    const headers: Record<string, string> = {};
    const cookie = this.cookieHeader(target);
    if (cookie) headers.cookie = cookie;
    if (init.form) headers['content-type'] = 'application/x-www-form-urlencoded';
    const response = await fetch(target, {
      method: init.method ?? (init.form ? 'POST' : 'GET'),
      headers,
      body: init.form ? new URLSearchParams(init.form).toString() : undefined,
      redirect: 'manual',
    });
    for (const line of response.headers.getSetCookie()) this.store(target, line);
    return response;
  }

  /** The cookie named so for this URL, as the browser would send it, or undefined. */
  cookie(url: string | URL, name: string): string | undefined {
    const target = new URL(url);
    return [...this.cookies.values()].find((cookie) => cookie.origin === target.origin && cookie.name === name && target.pathname.startsWith(cookie.path))?.value;
  }

  /** Sets a cookie as if a server had, for tests that replay or tamper with one. */
  setCookie(url: string | URL, name: string, value: string, path: string): void {
    const { origin } = new URL(url);
    this.cookies.set(`${origin} ${name} ${path}`, { origin, name, value, path });
  }

  private cookieHeader(target: URL): string {
    return [...this.cookies.values()]
      .filter((cookie) => cookie.origin === target.origin && target.pathname.startsWith(cookie.path))
      .map((cookie) => `${cookie.name}=${cookie.value}`)
      .join('; ');
  }

  private store(target: URL, line: string): void {
    const [pair = '', ...attributes] = line.split(';').map((part) => part.trim());
    const separator = pair.indexOf('=');
    const name = pair.slice(0, separator);
    const value = pair.slice(separator + 1);
    const attribute = (wanted: string) =>
      attributes
        .find((part) => part.toLowerCase().startsWith(`${wanted}=`))
        ?.slice(wanted.length + 1);
    const path = attribute('path') ?? target.pathname.replace(/\/[^/]*$/, '/');
    const key = `${target.origin} ${name} ${path}`;
    const maxAge = attribute('max-age');
    const expires = attribute('expires');
    if ((maxAge !== undefined && Number(maxAge) <= 0) || (expires !== undefined && Date.parse(expires) <= Date.now())) this.cookies.delete(key);
    else this.cookies.set(key, { origin: target.origin, name, value, path });
  }
}

/**
 * Follows `response`'s redirects through the provider's sign-in and consent pages, signing in as `login`, until a
 * redirect leaves the provider: returns that URL (our callback with the code and state, or with an error).
 */
export async function signInAtProvider(browser: TestBrowser, provider: TestOpenIdProvider, authorizationUrl: string, login: string): Promise<URL> {
  let next = new URL(authorizationUrl);
  for (let step = 0; step < 20; step++) {
    if (next.origin !== provider.issuer) return next;
    const response = await browser.request(next);
    if (response.status >= 300 && response.status < 400) {
      next = new URL(response.headers.get('location')!, next);
      continue;
    }
    const page = await response.text();
    if (response.status !== 200) throw new Error(`The provider answered ${response.status} at ${next.pathname}: ${page.slice(0, 500)}`);
    // The development interaction pages: a sign-in form (any password), then a consent form.
    const action = /<form[^>]*action="([^"]+)"/.exec(page)?.[1];
    const prompt = /name="prompt" value="([^"]+)"/.exec(page)?.[1];
    if (!action || !prompt) throw new Error(`Unexpected provider page at ${next.pathname}: ${page.slice(0, 500)}`);
    const form: Record<string, string> = prompt === 'login' ? { prompt, login, password: 'any password' } : { prompt };
    const submitted = await browser.request(new URL(action, next), { form });
    if (submitted.status < 300 || submitted.status >= 400) throw new Error(`Submitting the ${prompt} form answered ${submitted.status}`);
    next = new URL(submitted.headers.get('location')!, next);
  }
  throw new Error('Too many redirects at the provider');
}
