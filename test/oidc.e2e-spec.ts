import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { registerUser } from './factories/user.factory.js';
import { signInAtProvider, TestBrowser, type TestIdentity, TestOpenIdProvider } from './helpers/openid-provider.js';
import { bootTestApp, freePort, type TestApp } from './helpers/test-app.js';
import { createTestDatabase } from './helpers/test-database.js';

const CLIENT = { clientId: 'chat-portal', clientSecret: 'planted-client-secret-4f1b9c' };
/** The portal page: never fetched, only read from the callback's Location. */
const PORTAL = 'https://portal.example.com/signed-in?from=sso';
const CALLBACK_PATH = '/api/auth/oidc/callback';

/** A server whose callback URL the provider knows before the server starts: both need the other's address. */
async function ssoServer(provider: (redirectUri: string) => Promise<TestOpenIdProvider>, env: Record<string, string>, database?: Awaited<ReturnType<typeof createTestDatabase>>) {
  const port = await freePort();
  const redirectUri = `http://127.0.0.1:${port}${CALLBACK_PATH}`;
  const idp = await provider(redirectUri);
  const api = await bootTestApp(
    {
      PORT: String(port),
      OIDC_ISSUER_URL: idp.issuer,
      OIDC_CLIENT_ID: CLIENT.clientId,
      OIDC_CLIENT_SECRET: CLIENT.clientSecret,
      OIDC_REDIRECT_URI: redirectUri,
      OIDC_POST_LOGIN_REDIRECT: PORTAL,
      ...env,
    },
    database,
  );
  return { idp, api };
}

/** What the test client sees of one single sign-on: each hop, so a test can stop, replay or tamper with any of them. */
class SsoClient {
  /** Every secret that passed through a URL or a body, for the check that none reached the server's log. */
  static readonly seen: string[] = [];

  constructor(
    private readonly api: TestApp,
    private readonly idp: TestOpenIdProvider,
    readonly browser = new TestBrowser(),
  ) {}

  /** GET /login: the provider's authorization URL. */
  async start(): Promise<URL> {
    const response = await this.browser.request(`${this.api.url}/api/auth/oidc/login`);
    expect(response.status).toBe(302);
    const url = new URL(response.headers.get('location')!);
    SsoClient.seen.push(url.searchParams.get('state')!, url.searchParams.get('nonce')!);
    return url;
  }

  /** Signs in at the provider: our callback URL with the provider's code. */
  async atProvider(authorizationUrl: URL, login: string): Promise<URL> {
    const callback = await signInAtProvider(this.browser, this.idp, authorizationUrl.href, login);
    expect(callback.pathname).toBe(CALLBACK_PATH);
    if (callback.searchParams.has('code')) SsoClient.seen.push(callback.searchParams.get('code')!);
    return callback;
  }

  /** GET /callback: where the portal is sent. */
  async callback(url: URL): Promise<URL> {
    const response = await this.browser.request(url);
    expect([response.status, response.headers.get('cache-control')]).toEqual([302, 'no-store']);
    const portal = new URL(response.headers.get('location')!);
    expect(portal.origin + portal.pathname).toBe('https://portal.example.com/signed-in');
    expect(portal.searchParams.get('from')).toBe('sso');
    if (portal.searchParams.has('code')) SsoClient.seen.push(portal.searchParams.get('code')!);
    return portal;
  }

  /** The whole sign-in as a browser makes it: the portal URL it ends on. */
  async signIn(login: string): Promise<URL> {
    return this.callback(await this.atProvider(await this.start(), login));
  }

  /** The flow cookie the browser holds for our callback. */
  flowCookie(): string | undefined {
    return this.browser.cookie(`${this.api.url}${CALLBACK_PATH}`, 'oidc_flow');
  }
}

function refusal(portal: URL): string | null {
  expect(portal.searchParams.has('code')).toBe(portal.searchParams.get('error') === null);
  return portal.searchParams.get('error');
}

async function exchange(api: TestApp, code: string | null) {
  const response = await api.http().post('/api/auth/oidc/exchange').send({ code });
  if (response.status === 200) SsoClient.seen.push(response.body.accessToken);
  return response;
}

/** A sign-in all the way to the token, as the portal does it. */
async function signedIn(api: TestApp, idp: TestOpenIdProvider, login: string) {
  const portal = await new SsoClient(api, idp).signIn(login);
  expect(refusal(portal)).toBeNull();
  const session = await exchange(api, portal.searchParams.get('code'));
  expect(session.status).toBe(200);
  return session.body as { user: { id: string; email: string; displayName: string; role: string }; accessToken: string };
}

const me = async (api: TestApp, token: string) => (await api.http().get('/api/auth/me').set('Authorization', `Bearer ${token}`).expect(200)).body;

describe('single sign-on with roles from a groups claim (e2e)', () => {
  let idp: TestOpenIdProvider;
  let api: TestApp;
  const login = (identity: TestIdentity) => {
    const subject = `user-${randomUUID()}`;
    idp.identities.set(subject, identity);
    return subject;
  };
  const email = () => `sso-${randomUUID()}@example.com`;

  beforeAll(async () => {
    ({ idp, api } = await ssoServer((redirectUri) => TestOpenIdProvider.start({ ...CLIENT, redirectUri }), {
      LOG_LEVEL: 'log',
      OIDC_SCOPES: 'openid email profile groups',
      OIDC_ROLES_CLAIM: 'groups',
      OIDC_ADMIN_VALUES: 'chat-admins',
      REGISTRATION: 'domains',
      REGISTRATION_DOMAINS: 'example.com',
      ADMIN_EMAILS: 'boss@example.com, chief@sso.example.org, deputy@sso.example.org',
    }));
  });
  afterAll(async () => {
    await api?.close();
    await idp?.close();
  });

  it('creates a member at the first sign-in and gives the portal a one-time code, which works once', async () => {
    const address = email();
    const subject = login({ email: address, emailVerified: true, name: 'Ada Lovelace', groups: ['staff'] });
    const client = new SsoClient(api, idp);
    const authorization = await client.start();
    expect(authorization.origin).toBe(idp.issuer);
    expect(Object.fromEntries(authorization.searchParams)).toEqual(
      expect.objectContaining({ client_id: CLIENT.clientId, response_type: 'code', code_challenge_method: 'S256', scope: 'openid email profile groups' }),
    );
    const portal = await client.callback(await client.atProvider(authorization, subject));
    // Only the code: no token, no e-mail, nothing else in the URL.
    expect([...portal.searchParams.keys()]).toEqual(['from', 'code']);
    const code = portal.searchParams.get('code')!;
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const session = await exchange(api, code);
    expect(session.status).toBe(200);
    expect(session.body).toEqual({
      user: { id: expect.any(String), email: address, displayName: 'Ada Lovelace', role: 'member', createdAt: expect.any(String) },
      accessToken: expect.any(String),
      expiresIn: expect.any(Number),
      refreshToken: expect.stringMatching(/^rt-chat-/),
      refreshExpiresIn: expect.any(Number),
    });
    expect(await me(api, session.body.accessToken)).toEqual(expect.objectContaining({ id: session.body.user.id, role: 'member' }));

    const again = await exchange(api, code);
    expect(again.status).toBe(401);
    expect(again.body).toEqual(expect.objectContaining({ statusCode: 401, code: 'LOGIN_CODE_INVALID', message: expect.any(String) }));
    // The next sign-in of the same subject is the same account.
    expect((await signedIn(api, idp, subject)).user.id).toBe(session.body.user.id);
  });

  it('sets the flow cookie httpOnly, SameSite=Lax, on the callback folder only, and clears it at the callback', async () => {
    const browser = new TestBrowser();
    const response = await browser.request(`${api.url}/api/auth/oidc/login`);
    const [cookie] = response.headers.getSetCookie();
    expect(cookie).toMatch(/^oidc_flow=[^;]+; Max-Age=600; Path=\/api\/auth\/oidc; Expires=[^;]+; HttpOnly; SameSite=Lax$/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const callback = await browser.request(`${api.url}${CALLBACK_PATH}?code=x&state=y`);
    expect(callback.headers.getSetCookie()).toEqual([expect.stringMatching(/^oidc_flow=; Path=\/api\/auth\/oidc; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax$/)]);
  });

  it('re-maps the role from the groups claim at every sign-in, both ways, and the change shows at once', async () => {
    const identity = { email: email(), emailVerified: true, groups: ['staff'] };
    const subject = login(identity);
    const first = await signedIn(api, idp, subject);
    expect(first.user.role).toBe('member');

    identity.groups = ['staff', 'chat-admins'];
    const promoted = await signedIn(api, idp, subject);
    expect([promoted.user.id, promoted.user.role]).toEqual([first.user.id, 'admin']);
    // The token of the earlier sign-in belongs to the same account, whose role is now admin.
    expect((await me(api, first.accessToken)).role).toBe('admin');

    // Another admin, so that this one is not the last (whom the provider cannot demote: see below).
    expect((await signedIn(api, idp, login({ email: email(), emailVerified: true, groups: ['chat-admins'] }))).user.role).toBe('admin');
    identity.groups = ['staff'];
    expect((await signedIn(api, idp, subject)).user.role).toBe('member');
    // A string claim counts as one value.
    (identity as TestIdentity).groups = 'chat-admins' as unknown as string[];
    expect((await signedIn(api, idp, subject)).user.role).toBe('admin');
  });

  it('makes an ADMIN_EMAILS address admin only when the provider says it is verified', async () => {
    expect((await signedIn(api, idp, login({ email: 'Chief@SSO.example.org', emailVerified: true, groups: [] }))).user.role).toBe('admin');
    const deputy = { email: 'deputy@sso.example.org', emailVerified: false, groups: [] };
    const subject = login(deputy);
    expect((await signedIn(api, idp, subject)).user.role).toBe('member');
    deputy.emailVerified = true;
    expect((await signedIn(api, idp, subject)).user.role).toBe('admin');
  });

  it('refuses a callback without this browser\'s flow, or with another state, and the code is not redeemed', async () => {
    const subject = login({ email: email(), emailVerified: true });

    const stranger = new SsoClient(api, idp);
    const callback = await stranger.atProvider(await stranger.start(), subject);
    // Another browser (a login CSRF): no flow cookie.
    expect(refusal(await new SsoClient(api, idp).callback(callback))).toBe('invalid_state');

    // The right browser, with a state that is not its own.
    const client = new SsoClient(api, idp);
    const own = await client.atProvider(await client.start(), subject);
    const forgedState = new URL(own);
    forgedState.searchParams.set('state', 'attacker-chosen-state');
    expect(refusal(await client.callback(forgedState))).toBe('invalid_state');

    // A flow cookie not sealed by the server.
    const forger = new SsoClient(api, idp);
    const forgedCallback = await forger.atProvider(await forger.start(), subject);
    forger.browser.setCookie(api.url, 'oidc_flow', encodeURIComponent('enc:k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'), '/api/auth/oidc');
    expect(refusal(await forger.callback(forgedCallback))).toBe('invalid_state');
  });

  it('refuses a replayed authorization code, even with the flow cookie that went with it', async () => {
    const subject = login({ email: email(), emailVerified: true });
    const client = new SsoClient(api, idp);
    const callback = await client.atProvider(await client.start(), subject);
    const cookie = client.flowCookie()!;
    expect(refusal(await client.callback(callback))).toBeNull();

    const replay = new SsoClient(api, idp);
    replay.browser.setCookie(api.url, 'oidc_flow', cookie, '/api/auth/oidc');
    expect(refusal(await replay.callback(callback))).toBe('login_failed');
  });

  it('refuses an ID token with another nonce, and a code redeemed without its PKCE verifier', async () => {
    const subject = login({ email: email(), emailVerified: true });
    for (const [parameter, value] of [
      ['nonce', 'a-nonce-the-server-never-made'],
      ['code_challenge', 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'],
    ]) {
      const client = new SsoClient(api, idp);
      const authorization = await client.start();
      authorization.searchParams.set(parameter!, value!);
      expect([parameter, refusal(await client.callback(await client.atProvider(authorization, subject)))]).toEqual([parameter, 'login_failed']);
    }
  });

  it("passes the provider's refusal on to the portal", async () => {
    const client = new SsoClient(api, idp);
    const authorization = await client.start();
    const callback = new URL(`${api.url}${CALLBACK_PATH}`);
    callback.search = new URLSearchParams({ error: 'access_denied', state: authorization.searchParams.get('state')!, iss: idp.issuer }).toString();
    expect(refusal(await client.callback(callback))).toBe('access_denied');
  });

  it('never takes over a password account with the same address (OIDC_LINK_BY_EMAIL off), nor creates an account without an address', async () => {
    const owner = await registerUser(api, { email: email() });
    const subject = login({ email: owner.email.toUpperCase(), emailVerified: true });
    expect(refusal(await new SsoClient(api, idp).signIn(subject))).toBe('account_exists');
    await api.http().post('/api/auth/login').send({ email: owner.email, password: owner.password }).expect(200);

    expect(refusal(await new SsoClient(api, idp).signIn(login({ name: 'No Address' })))).toBe('email_missing');
  });

  it('answers bad exchange requests with 400 and unknown codes with 401', async () => {
    for (const body of [{}, { code: '' }, { code: 'x'.repeat(129) }, { code: 42 }, { code: 'a\u0000b' }, { code: 'x', extra: 1 }]) {
      const response = await api.http().post('/api/auth/oidc/exchange').send(body);
      expect([body, response.status]).toEqual([body, 400]);
    }
    expect((await exchange(api, 'A'.repeat(43))).status).toBe(401);
  });

  it('answers 200 generated hostile callbacks with a redirect to the portal or a 400, never a 5xx', async () => {
    const value = fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('%00', '%ED%A0%80', 'a%00b', '%', '%zz', 'x'.repeat(2000)));
    const name = fc.constantFrom('code', 'state', 'iss', 'error', 'error_description', 'session_state', 'code[]', 'state[x]', '__proto__');
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(name, value), { maxLength: 6 }), fc.boolean(), async (pairs, withFlow) => {
        const client = new SsoClient(api, idp);
        if (withFlow) await client.start();
        const query = pairs.map(([key, text]) => `${key}=${text.startsWith('%') ? text : encodeURIComponent(text)}`).join('&');
        const response = await client.browser.request(`${api.url}${CALLBACK_PATH}?${query}`);
        expect([query, [302, 400].includes(response.status)]).toEqual([query, true]);
        if (response.status === 302) expect(new URL(response.headers.get('location')!).searchParams.get('error')).toEqual(expect.any(String));
        else expect(await response.json()).toEqual(expect.objectContaining({ statusCode: 400, code: 'VALIDATION_FAILED' }));
      }),
      { numRuns: 200, seed: 20261201 },
    );
  });

  it('lets only REGISTRATION_DOMAINS register with a password, and makes ADMIN_EMAILS admins', async () => {
    const outsider = await api.http().post('/api/auth/register').send({ email: `someone-${randomUUID()}@elsewhere.org`, password: 'correct horse battery' });
    expect(outsider.status).toBe(403);
    expect(outsider.body).toEqual(expect.objectContaining({ statusCode: 403, error: 'Forbidden', code: 'REGISTRATION_CLOSED' }));
    // Not even a subdomain: each domain is listed on its own.
    const subdomain = await api.http().post('/api/auth/register').send({ email: `someone-${randomUUID()}@mail.example.com`, password: 'correct horse battery' });
    expect(subdomain.status).toBe(403);

    const boss = await api.http().post('/api/auth/register').send({ email: 'Boss@Example.com', password: 'correct horse battery' }).expect(201);
    expect(boss.body.user.role).toBe('admin');
    expect((await registerUser(api)).id).toEqual(expect.any(String));
  });

  it('documents the three routes in Swagger', async () => {
    const { paths, components } = (await api.http().get('/api/docs-json').expect(200)).body;
    expect(Object.keys(paths['/api/auth/oidc/login'].get.responses)).toEqual(expect.arrayContaining(['302', '404']));
    expect(Object.keys(paths['/api/auth/oidc/callback'].get.responses)).toEqual(expect.arrayContaining(['302', '400', '404']));
    expect(paths['/api/auth/oidc/exchange'].post.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/ExchangeCodeDto' });
    expect(Object.keys(paths['/api/auth/oidc/exchange'].post.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '404']));
    expect(paths['/api/auth/oidc/exchange'].post.security).toBeUndefined();
    expect(components.schemas.ExchangeCodeDto.required).toEqual(['code']);
  });

  it('logs no code, state, nonce, token or client secret', () => {
    const output = api.output();
    expect(output).toMatch(/Single sign-on refused \(login_failed\)/);
    expect(SsoClient.seen.length).toBeGreaterThan(20);
    for (const secret of [...SsoClient.seen, CLIENT.clientSecret]) expect(output).not.toContain(secret);
  });
});

describe('single sign-on only, linking by verified e-mail, roles not managed by the provider (e2e)', () => {
  let idp: TestOpenIdProvider;
  let api: TestApp;
  let admin: { id: string; email: string; password: string };
  const member = { email: `member-${randomUUID()}@example.com`, password: 'correct horse battery' };

  beforeAll(async () => {
    // Accounts from before single sign-on: an admin and a member, registered while passwords were the way in.
    const database = await createTestDatabase();
    const before = await bootTestApp({ ADMIN_EMAILS: 'root@example.com' }, database);
    const registered = await before.http().post('/api/auth/register').send({ email: 'root@example.com', password: 'correct horse battery' }).expect(201);
    admin = { id: registered.body.user.id, email: 'root@example.com', password: 'correct horse battery' };
    await before.http().post('/api/auth/register').send(member).expect(201);
    await before.close({ dropDatabase: false });
    // This provider puts every claim in the ID token, as Keycloak and Entra ID do: no userinfo request is needed.
    ({ idp, api } = await ssoServer(
      (redirectUri) => TestOpenIdProvider.start({ ...CLIENT, redirectUri }, { claimsInIdToken: true }),
      { AUTH_PASSWORD_LOGIN: 'false', REGISTRATION: 'closed', OIDC_LINK_BY_EMAIL: 'true' },
      database,
    ));
  });
  afterAll(async () => {
    await api?.close();
    await idp?.close();
  });

  it('refuses password login and registration', async () => {
    const login = await api.http().post('/api/auth/login').send({ email: admin.email, password: admin.password });
    expect([login.status, login.body.code]).toEqual([403, 'PASSWORD_LOGIN_DISABLED']);
    const register = await api.http().post('/api/auth/register').send({ email: `new-${randomUUID()}@example.com`, password: 'correct horse battery' });
    expect([register.status, register.body.code]).toEqual([403, 'PASSWORD_LOGIN_DISABLED']);
  });

  it('links the existing account by its verified address, keeps its role, and creates new accounts for others', async () => {
    idp.identities.set('root', { email: 'ROOT@example.com', emailVerified: true, name: 'Root', groups: [] });
    const session = await signedIn(api, idp, 'root');
    expect([session.user.id, session.user.role]).toEqual([admin.id, 'admin']);
    expect((await signedIn(api, idp, 'root')).user.id).toBe(admin.id);

    idp.identities.set('newcomer', { email: `newcomer-${randomUUID()}@example.com`, emailVerified: true });
    expect((await signedIn(api, idp, 'newcomer')).user).toEqual(expect.objectContaining({ role: 'member', displayName: expect.stringMatching(/^newcomer-/) }));
  });

  it('never links by an address the provider does not say is verified, nor an account linked to another subject', async () => {
    idp.identities.set('unverified', { email: member.email, emailVerified: false });
    expect(refusal(await new SsoClient(api, idp).signIn('unverified'))).toBe('account_exists');
    idp.identities.set('root-again', { email: admin.email, emailVerified: true });
    expect(refusal(await new SsoClient(api, idp).signIn('root-again'))).toBe('account_exists');
  });

  it('answers idp_unavailable when the provider is down at the callback', async () => {
    idp.identities.set('late', { email: `late-${randomUUID()}@example.com`, emailVerified: true });
    const client = new SsoClient(api, idp);
    const callback = await client.atProvider(await client.start(), 'late');
    await idp.close();
    expect(refusal(await client.callback(callback))).toBe('idp_unavailable');
  });
});

describe('single sign-on start-up (e2e)', () => {
  it('stops the server with a clear message when the issuer cannot be discovered', async () => {
    const closed = await freePort();
    const database = await createTestDatabase();
    try {
      const start = bootTestApp(
        {
          OIDC_ISSUER_URL: `http://127.0.0.1:${closed}/realms/staff`,
          OIDC_CLIENT_ID: 'chat',
          OIDC_CLIENT_SECRET: 'secret',
          OIDC_REDIRECT_URI: 'http://127.0.0.1:1/api/auth/oidc/callback',
          OIDC_POST_LOGIN_REDIRECT: 'http://127.0.0.1:1/',
        },
        database,
      );
      await expect(start).rejects.toThrow(`Invalid configuration: OIDC_ISSUER_URL could not be discovered at http://127.0.0.1:${closed}/realms/staff`);
    } finally {
      await database.drop();
    }
  });
});
