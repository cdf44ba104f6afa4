import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { type FakeLlmServer, startFakeLlm } from '../apps/fake-llm/src/fake-llm.server.js';
import { configureFakeProvider, FAKE_UPSTREAM_ENV } from './factories/provider.factory.js';
import { registerUser, type TestUser } from './factories/user.factory.js';
import { eventually } from './helpers/eventually.js';
import { readStream } from './helpers/sse-client.js';
import { describeWith, POSTGRES } from './helpers/suite-requirements.js';
import { bootTestApp, type TestApp } from './helpers/test-app.js';

const REFRESH_TOKEN = /^rt-chat-[A-Za-z0-9_-]{43}$/;
/** Generous limits: this suite signs in and refreshes far more often than a person would. */
const ENV = { ...FAKE_UPSTREAM_ENV, LOGIN_LIMIT_PER_ACCOUNT: '1000', LOGIN_LIMIT_PER_IP: '10000' };

/** One server for the file's suites, which want the same settings and each work on users of their own: a server start costs 5-10 s of CPU. */
let api: TestApp;
beforeAll(async () => {
  api = await bootTestApp(ENV);
});
afterAll(() => api?.close());

/** The sign-in routes of the account, and what a test needs to check them; on PGlite, or PostgreSQL in its pass. */
describe('sign-ins that end: refresh, logout, password, account (e2e)', () => {
  let fake: FakeLlmServer;

  beforeAll(async () => {
    fake = await startFakeLlm({ port: 0 });
  });
  afterAll(() => fake?.close());

  /** Starts a reply that never ends by itself, and resolves once it is under way. */
  const endlessStream = async (user: TestUser) => {
    await configureFakeProvider(api, user, 'openai', fake.url);
    fake.reset();
    const stream = readStream(`${api.url}/api/chat/stream`, { token: user.token, body: { message: 'go on', provider: 'openai', model: 'fake:endless=1,delay=50' } });
    await eventually(() => expect(fake.requests[0]?.deltasWritten ?? 0).toBeGreaterThan(2));
    // Wrapped: an async function would otherwise hand back the stream's end, not the stream.
    return { ended: stream };
  };
  const expectRevoked = async ({ ended }: { ended: ReturnType<typeof readStream> }) =>
    expect((await ended).events.at(-1)).toEqual(expect.objectContaining({ event: 'error', data: expect.objectContaining({ code: 'session_revoked' }) }));

  const login = (user: { email: string; password: string }) => api.http().post('/api/auth/login').send({ email: user.email, password: user.password });
  const refresh = (refreshToken: string) => api.http().post('/api/auth/refresh').send({ refreshToken });
  const me = (accessToken: string) => api.http().get('/api/auth/me').set('Authorization', `Bearer ${accessToken}`);
  const expectRefused = (response: { status: number; body: any }) => expect([response.status, response.body.code]).toEqual([401, 'REFRESH_TOKEN_INVALID']);

  it('signs in with a short access token and an opaque refresh token', async () => {
    const user = await registerUser(api);
    const response = await login(user).expect(200);
    expect(response.body).toEqual({
      user: expect.objectContaining({ id: user.id }),
      accessToken: expect.any(String),
      expiresIn: 900,
      refreshToken: expect.stringMatching(REFRESH_TOKEN),
      refreshExpiresIn: 30 * 86_400,
    });
    expect(response.body.refreshToken).not.toBe(user.refreshToken);
  });

  it('rotates a refresh token: the new pair works, the old token is used up', async () => {
    const user = await registerUser(api);
    const first = await refresh(user.refreshToken).expect(200);
    expect(first.body).toEqual(expect.objectContaining({ accessToken: expect.any(String), expiresIn: 900, refreshToken: expect.stringMatching(REFRESH_TOKEN) }));
    expect(first.body.refreshToken).not.toBe(user.refreshToken);
    expect((await me(first.body.accessToken).expect(200)).body.id).toBe(user.id);
    const second = await refresh(first.body.refreshToken).expect(200);
    await me(second.body.accessToken).expect(200);
  });

  it('treats a used refresh token as stolen: the whole sign-in ends, its newest token included', async () => {
    const user = await registerUser(api);
    const otherDevice = (await login(user).expect(200)).body.refreshToken as string;
    const rotated = (await refresh(user.refreshToken).expect(200)).body.refreshToken as string;
    const newest = (await refresh(rotated).expect(200)).body.refreshToken as string;

    expectRefused(await refresh(user.refreshToken));
    expectRefused(await refresh(newest));
    // Another sign-in of the same account is not touched.
    await refresh(otherDevice).expect(200);
  });

  it('lets exactly one of several concurrent refreshes with the same token through, and ends that sign-in', async () => {
    const user = await registerUser(api);
    const answers = await Promise.all(Array.from({ length: 5 }, () => refresh(user.refreshToken)));
    const statuses = answers.map((answer) => answer.status).sort();
    expect(statuses).toEqual([200, 401, 401, 401, 401]);
    // The others were reuse: the winner's token went with its family.
    expectRefused(await refresh(answers.find((answer) => answer.status === 200)!.body.refreshToken));
  });

  it('refuses unknown and malformed refresh tokens', async () => {
    expectRefused(await refresh(`rt-chat-${randomBytes(32).toString('base64url')}`));
    expectRefused(await refresh('not a token'));
    for (const body of [{}, { refreshToken: '' }, { refreshToken: 42 }, { refreshToken: 'x'.repeat(129) }, { refreshToken: 'rt', extra: 1 }]) {
      const response = await api.http().post('/api/auth/refresh').send(body);
      expect([body, response.status]).toEqual([body, 400]);
    }
  });

  it('logs one device out: its refresh token stops working, other devices keep theirs', async () => {
    const user = await registerUser(api);
    const otherDevice = (await login(user).expect(200)).body.refreshToken as string;
    const rotated = (await refresh(user.refreshToken).expect(200)).body.refreshToken as string;
    // An expired access token must not stop a logout: the refresh token is the credential.
    await api.http().post('/api/auth/logout').send({ refreshToken: rotated }).expect(204);
    expectRefused(await refresh(rotated));
    await api.http().post('/api/auth/logout').send({ refreshToken: rotated }).expect(204);
    await api.http().post('/api/auth/logout').send({ refreshToken: `rt-chat-${randomBytes(32).toString('base64url')}` }).expect(204);
    await refresh(otherDevice).expect(200);
  });

  it('logs out everywhere: access and stream tokens refused at once, every refresh token ended, signing in again works', async () => {
    const user = await registerUser(api);
    const other = (await login(user).expect(200)).body;
    await me(user.token).expect(200);
    await me(other.accessToken).expect(200);
    const sessionId = (await readStream(`${api.url}/api/chat/stream`, { token: user.token, body: { message: 'follow me', provider: 'echo' } })).events[0]!.data.sessionId;
    const streamToken = (await api.http().post(`/api/chat/sessions/${sessionId}/stream-token`).set(user.auth).expect(200)).body.token as string;
    const follow = (token: string) => api.http().get(`/api/chat/sessions/${sessionId}/stream?token=${encodeURIComponent(token)}`);
    await follow(streamToken).expect(200);

    await api.http().post('/api/auth/logout-all').set(user.auth).expect(204);
    for (const token of [user.token, other.accessToken]) {
      const refused = await me(token);
      expect([refused.status, refused.body.code]).toEqual([401, 'UNAUTHENTICATED']);
    }
    expect((await follow(streamToken).expect(401)).body.code).toBe('UNAUTHENTICATED');
    expectRefused(await refresh(user.refreshToken));
    expectRefused(await refresh(other.refreshToken));
    await api.http().post('/api/auth/logout-all').set(user.auth).expect(401);

    const again = await login(user).expect(200);
    await me(again.body.accessToken).expect(200);
    await refresh(again.body.refreshToken).expect(200);
  });

  it('ends the live stream of a user who logs out everywhere, or who deletes the account, with session_revoked', async () => {
    const leaving = await registerUser(api);
    const stream = await endlessStream(leaving);
    await api.http().post('/api/auth/logout-all').set(leaving.auth).expect(204);
    await expectRevoked(stream);

    const deleting = await registerUser(api);
    const other = await endlessStream(deleting);
    await api.http().delete('/api/auth/me').set(deleting.auth).send({ password: deleting.password }).expect(204);
    await expectRevoked(other);
  });

  it('changes the password: the current one is required, the new one follows the registration rule, other devices are out', async () => {
    const user = await registerUser(api);
    const other = (await login(user).expect(200)).body;
    const change = (body: object, token = user.token) => api.http().put('/api/auth/password').set('Authorization', `Bearer ${token}`).send(body);

    const wrong = await change({ currentPassword: 'not the password', newPassword: 'a brand new password' });
    expect([wrong.status, wrong.body.code]).toEqual([403, 'CURRENT_PASSWORD_INCORRECT']);
    const weak = await change({ currentPassword: user.password, newPassword: 'short' });
    expect([weak.status, weak.body.message]).toEqual([400, expect.stringContaining('newPassword must be between 8 and 256 characters')]);
    await change({ newPassword: 'a brand new password' }).expect(400);
    await me(user.token).expect(200);

    const changed = await change({ currentPassword: user.password, newPassword: 'a brand new password' }).expect(200);
    expect(changed.body).toEqual(expect.objectContaining({ accessToken: expect.any(String), refreshToken: expect.stringMatching(REFRESH_TOKEN) }));
    await me(changed.body.accessToken).expect(200);
    await refresh(changed.body.refreshToken).expect(200);
    await me(user.token).expect(401);
    await me(other.accessToken).expect(401);
    expectRefused(await refresh(other.refreshToken));
    await login(user).expect(401);
    await login({ email: user.email, password: 'a brand new password' }).expect(200);
  });

  it('renames the user, refusing blank and oversized names', async () => {
    const user = await registerUser(api);
    const renamed = await api.http().patch('/api/auth/me').set(user.auth).send({ displayName: '  Ada Lovelace ' }).expect(200);
    expect(renamed.body).toEqual(expect.objectContaining({ id: user.id, email: user.email, displayName: 'Ada Lovelace' }));
    expect((await me(user.token).expect(200)).body.displayName).toBe('Ada Lovelace');
    for (const displayName of ['', '   ', 'x'.repeat(101), 7]) {
      await api.http().patch('/api/auth/me').set(user.auth).send({ displayName }).expect(400);
    }
    await api.http().patch('/api/auth/me').set(user.auth).send({ displayName: 'Ada', email: 'other@example.com' }).expect(400);
    expect((await me(user.token).expect(200)).body).toEqual(expect.objectContaining({ email: user.email, displayName: 'Ada Lovelace' }));
  });

  it('deletes the account after the password is confirmed: its tokens, keys and sign-in are gone', async () => {
    const user = await registerUser(api);
    const neighbour = await registerUser(api);
    await readStream(`${api.url}/api/chat/stream`, { token: neighbour.token, body: { message: 'mine', provider: 'echo' } });
    const stream = await readStream(`${api.url}/api/chat/stream`, { token: user.token, body: { message: 'bye', provider: 'echo' } });
    const apiKey = (await api.http().post('/api/keys').set(user.auth).send({ name: 'doomed' }).expect(201)).body.key as string;

    for (const body of [{}, { password: 'not the password' }]) {
      const refused = await api.http().delete('/api/auth/me').set(user.auth).send(body);
      expect([body, refused.status, refused.body.code]).toEqual([body, 403, 'CURRENT_PASSWORD_INCORRECT']);
    }
    await api.http().delete('/api/auth/me').set(user.auth).send({ password: user.password }).expect(204);

    await me(user.token).expect(401);
    expectRefused(await refresh(user.refreshToken));
    await login(user).expect(401);
    const byKey = await readStream(`${api.url}/v1/chat/completions`, { token: apiKey, body: { model: 'echo/echo-1', messages: [{ role: 'user', content: 'hi' }] } });
    expect(byKey.status).toBe(401);
    // The address is free again, and the new account sees nothing of the old one.
    const reborn = await registerUser(api, { email: user.email });
    await api.http().get(`/api/chat/sessions/${stream.events[0]!.data.sessionId}`).set(reborn.auth).expect(404);
    expect((await api.http().get('/api/chat/sessions').set(reborn.auth).expect(200)).body.sessions).toEqual([]);
    // Nobody else's data went with it.
    expect((await api.http().get('/api/chat/sessions').set(neighbour.auth).expect(200)).body.sessions).toHaveLength(1);
  });
});

describe('exporting an account (e2e)', () => {
  let fake: FakeLlmServer;
  let user: TestUser;
  let other: TestUser;
  const providerKey = `sk-planted-export-${randomBytes(8).toString('hex')}`;
  let apiKey: string;

  const chat = (who: TestUser, message: string, sessionId?: string) =>
    readStream(`${api.url}/api/chat/stream`, { token: who.token, body: { message, provider: 'echo', ...(sessionId && { sessionId }) } });

  beforeAll(async () => {
    fake = await startFakeLlm({ port: 0 });
    user = await registerUser(api, { displayName: 'Exporter' });
    other = await registerUser(api);
    await configureFakeProvider(api, user, 'openai', fake.url, { apiKey: providerKey, defaultModel: 'fake:deltas=2' });
    apiKey = (await api.http().post('/api/keys').set(user.auth).send({ name: 'reporting' }).expect(201)).body.key as string;
    await chat(other, 'not yours to export');
  });
  afterAll(() => fake?.close());

  const exportOf = (who: TestUser) =>
    api
      .http()
      .get('/api/auth/me/export')
      .set(who.auth)
      .buffer(true)
      .parse((response, done) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => done(null, text));
      });

  it('sends everything the account holds as a JSON attachment, and no secret', async () => {
    // Past one page of sessions (50) and one page of a session's messages (50), so paging is exercised.
    const long = await chat(user, 'turn 0');
    const longSessionId = long.events[0]!.data.sessionId as string;
    for (let turn = 1; turn < 26; turn++) expect((await chat(user, `turn ${turn}`, longSessionId)).events.at(-1)!.event).toBe('done');
    for (let session = 0; session < 51; session++) await chat(user, `session ${session}`);
    await api.http().post('/api/presets').set(user.auth).send({ name: 'Terse', systemPrompt: 'Be terse' }).expect(201);

    const response = await exportOf(user).expect(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.headers['content-disposition']).toMatch(/^attachment; filename="account-export-\d{4}-\d{2}-\d{2}\.json"$/);
    const text = response.body as string;
    const document = JSON.parse(text);

    expect(document.user).toEqual({
      id: user.id,
      email: user.email,
      displayName: 'Exporter',
      role: 'member',
      hasPassword: true,
      singleSignOn: null,
      createdAt: expect.any(String),
    });
    expect(document.providers).toEqual([expect.objectContaining({ provider: 'openai', hasKey: true, apiKey: expect.stringMatching(/…/), defaultModel: 'fake:deltas=2' })]);
    expect(document.apiKeys).toEqual([{ id: expect.any(String), name: 'reporting', prefix: apiKey.slice(0, 12), createdAt: expect.any(String), lastUsedAt: null }]);
    expect(document.presets).toEqual([expect.objectContaining({ name: 'Terse', systemPrompt: 'Be terse', temperature: null })]);

    expect(document.sessions).toHaveLength(52);
    const ids = document.sessions.map((session: { id: string }) => session.id);
    expect(new Set(ids).size).toBe(52);
    const longOne = document.sessions.find((session: { id: string }) => session.id === longSessionId);
    expect(longOne.messages).toHaveLength(52);
    expect(longOne.messages.filter((message: { role: string }) => message.role === 'user').map((message: { content: string }) => message.content)).toEqual(
      Array.from({ length: 26 }, (_, turn) => `turn ${turn}`),
    );
    // What the session's own listing shows is what the export holds.
    const listed = await api.http().get(`/api/chat/sessions/${longSessionId}/messages?view=all`).set(user.auth).expect(200);
    expect(longOne.messages.map((message: { id: string }) => message.id)).toEqual(listed.body.messages.map((message: { id: string }) => message.id));

    for (const secret of [providerKey, apiKey, user.password, user.refreshToken, user.token, '$argon2', 'not yours to export', other.email]) expect(text).not.toContain(secret);
  });

  it('exports an account with nothing in it, again and again, also after a client gave up half-way', async () => {
    const empty = await registerUser(api);
    const document = JSON.parse((await exportOf(empty).expect(200)).body as string);
    expect(document).toEqual({ exportedAt: expect.any(String), user: expect.objectContaining({ id: empty.id }), providers: [], apiKeys: [], presets: [], sessions: [] });
    // One export per user at a time: each that ended, however it ended, lets the next one start.
    await exportOf(empty).expect(200);
    const abandoned = new AbortController();
    const response = await fetch(`${api.url}/api/auth/me/export`, { headers: empty.auth, signal: abandoned.signal });
    expect(response.status).toBe(200);
    abandoned.abort();
    await eventually(() => exportOf(empty).expect(200));
    // The exporting user of the other test may export again too.
    await exportOf(user).expect(200);
  });
});

/**
 * What needs SQL against the server's own database (the audit log, the rows an account owns, an account without a
 * password, a disabled one): runs in the PostgreSQL pass (TEST_DATABASE_URL).
 */
describeWith(POSTGRES)('sign-ins and accounts as the database sees them: audit log, cascades, no password, disabled (e2e)', () => {
  let db: pg.Client;

  beforeAll(async () => {
    db = new pg.Client({ connectionString: api.db.env.DATABASE_URL });
    await db.connect();
  });
  afterAll(() => db?.end());

  const eventsOf = async (userId: string) =>
    (await db.query(`SELECT actor, action, target, client_address AS "clientAddress", request_id AS "requestId", detail FROM audit_events WHERE target = $1 ORDER BY id`, [userId]))
      .rows;

  it('records logins, failures, logouts, a password change, a reused refresh token and a deletion, never a secret', async () => {
    const password = `planted-password-${randomBytes(8).toString('hex')}`;
    const user = await registerUser(api, { password });
    const login = await api.http().post('/api/auth/login').set('X-Request-Id', 'audit-login-1').send({ email: user.email, password }).expect(200);
    await api.http().post('/api/auth/login').send({ email: user.email, password: `${password}-wrong` }).expect(401);
    const rotated = (await api.http().post('/api/auth/refresh').send({ refreshToken: login.body.refreshToken }).expect(200)).body.refreshToken as string;
    await api.http().post('/api/auth/refresh').send({ refreshToken: login.body.refreshToken }).expect(401);
    await api.http().post('/api/auth/logout').send({ refreshToken: user.refreshToken }).expect(204);
    await api.http().post('/api/auth/logout-all').set(user.auth).expect(204);
    const newPassword = `${password}-new`;
    const fresh = (await api.http().post('/api/auth/login').send({ email: user.email, password }).expect(200)).body.accessToken as string;
    const changed = await api.http().put('/api/auth/password').set('Authorization', `Bearer ${fresh}`).send({ currentPassword: password, newPassword }).expect(200);
    await api.http().delete('/api/auth/me').set('Authorization', `Bearer ${changed.body.accessToken}`).send({ password: newPassword }).expect(204);

    const events = await eventsOf(user.id);
    const by = (action: string) => events.filter((event) => event.action === action);
    expect(by('auth.login')).toHaveLength(2);
    expect(by('auth.login')[0]).toEqual({ actor: user.id, action: 'auth.login', target: user.id, clientAddress: '127.0.0.1', requestId: 'audit-login-1', detail: { method: 'password' } });
    expect(by('auth.login_failed')).toEqual([expect.objectContaining({ actor: 'system', detail: { email: user.email, reason: 'invalid_credentials' } })]);
    expect(by('auth.refresh_reuse')).toEqual([expect.objectContaining({ actor: user.id, detail: { familyId: expect.any(String) } })]);
    expect(by('auth.logout')).toEqual([expect.objectContaining({ actor: user.id })]);
    expect(by('auth.logout_all')).toEqual([expect.objectContaining({ actor: user.id })]);
    expect(by('auth.password_changed')).toEqual([expect.objectContaining({ actor: user.id })]);
    expect(by('user.deleted')).toEqual([expect.objectContaining({ actor: user.id, detail: { self: true } })]);
    // The rows outlive the account, and hold no password or token.
    const stored = JSON.stringify(events);
    for (const secret of [password, newPassword, login.body.refreshToken, rotated, user.refreshToken, user.token]) expect(stored).not.toContain(secret);
  });

  it('records a failed login for an address no account has, without a target', async () => {
    const email = `nobody-${randomBytes(4).toString('hex')}@example.com`;
    await api.http().post('/api/auth/login').send({ email, password: 'whatever it is' }).expect(401);
    const { rows } = await db.query(`SELECT actor, target, detail FROM audit_events WHERE action = 'auth.login_failed' AND detail->>'email' = $1`, [email]);
    expect(rows).toEqual([{ actor: 'system', target: null, detail: { email, reason: 'invalid_credentials' } }]);
  });

  it('lets an account without a password (single sign-on) delete itself with its token alone, but not set a password', async () => {
    const user = await registerUser(api);
    await db.query(`UPDATE users SET password_hash = NULL WHERE id = $1`, [user.id]);
    const change = await api.http().put('/api/auth/password').set(user.auth).send({ currentPassword: user.password, newPassword: 'a password at last' });
    expect([change.status, change.body.code]).toEqual([409, 'PASSWORD_NOT_SET']);
    await api.http().post('/api/auth/login').send({ email: user.email, password: user.password }).expect(401);
    await api.http().delete('/api/auth/me').set(user.auth).send({}).expect(204);
    expect((await db.query(`SELECT count(*)::int AS n FROM users WHERE id = $1`, [user.id])).rows[0].n).toBe(0);
  });

  it('deletes every row the account owns, through the cascades', async () => {
    const user = await registerUser(api);
    const stream = await readStream(`${api.url}/api/chat/stream`, { token: user.token, body: { message: 'keep me?', provider: 'echo' } });
    expect(stream.events.at(-1)!.event).toBe('done');
    await api.http().put('/api/providers/openai').set(user.auth).send({ apiKey: 'sk-doomed-key-0000000001' }).expect(200);
    await api.http().post('/api/keys').set(user.auth).send({ name: 'doomed' }).expect(201);
    await api.http().post('/api/presets').set(user.auth).send({ name: 'doomed' }).expect(201);
    const owned = async () =>
      (
        await db.query(
          `SELECT (SELECT count(*) FROM chat_sessions WHERE user_id = $1)::int AS sessions,
                  (SELECT count(*) FROM messages m JOIN chat_sessions s ON s.id = m.session_id WHERE s.user_id = $1)::int AS messages,
                  (SELECT count(*) FROM messages WHERE session_id = $2)::int AS "sessionMessages",
                  (SELECT count(*) FROM provider_credentials WHERE user_id = $1)::int AS credentials,
                  (SELECT count(*) FROM api_keys WHERE user_id = $1)::int AS keys,
                  (SELECT count(*) FROM refresh_tokens WHERE user_id = $1)::int AS "refreshTokens",
                  (SELECT count(*) FROM presets WHERE user_id = $1)::int AS presets`,
          [user.id, stream.events[0]!.data.sessionId],
        )
      ).rows[0];
    expect(await owned()).toEqual({ sessions: 1, messages: 2, sessionMessages: 2, credentials: 1, keys: 1, refreshTokens: 1, presets: 1 });
    await api.http().delete('/api/auth/me').set(user.auth).send({ password: user.password }).expect(204);
    expect(await owned()).toEqual({ sessions: 0, messages: 0, sessionMessages: 0, credentials: 0, keys: 0, refreshTokens: 0, presets: 0 });
  });

  it('refuses a disabled account its password login (after the right password only) and its refresh tokens', async () => {
    const user = await registerUser(api);
    await db.query(`UPDATE users SET disabled_at = now() WHERE id = $1`, [user.id]);
    const refused = await api.http().post('/api/auth/login').send({ email: user.email, password: user.password });
    expect([refused.status, refused.body.code]).toEqual([403, 'ACCOUNT_DISABLED']);
    const wrong = await api.http().post('/api/auth/login').send({ email: user.email, password: 'not the password' });
    expect([wrong.status, wrong.body.code]).toEqual([401, 'INVALID_CREDENTIALS']);
    const refreshed = await api.http().post('/api/auth/refresh').send({ refreshToken: user.refreshToken });
    expect([refreshed.status, refreshed.body.code]).toEqual([401, 'REFRESH_TOKEN_INVALID']);
    expect((await eventsOf(user.id)).map((event) => [event.action, event.detail?.reason])).toEqual([
      ['user.registered', undefined],
      ['auth.login_failed', 'disabled'],
      ['auth.login_failed', 'invalid_credentials'],
    ]);
  });
});
