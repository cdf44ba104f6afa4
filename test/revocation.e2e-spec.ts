import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { type FakeLlmServer, startFakeLlm } from '../apps/fake-llm/src/fake-llm.server.js';
import { configureFakeProvider, FAKE_UPSTREAM_ENV } from './factories/provider.factory.js';
import { registerUser, type TestUser } from './factories/user.factory.js';
import { eventually } from './helpers/eventually.js';
import { readStream } from './helpers/sse-client.js';
import { describeWith, POSTGRES, REDIS } from './helpers/suite-requirements.js';
import { bootTestApp, type TestApp } from './helpers/test-app.js';

/**
 * Logging out everywhere on one replica takes effect on the other at once, not when its cache of the account
 * lapses (10 s): two instances on the real PostgreSQL and Redis (CI sets TEST_DATABASE_URL and TEST_REDIS_URL).
 */
const REDIS_URL = process.env.TEST_REDIS_URL;
/** Far below the 10 s an account's state is remembered: only the announcement over Redis can make it. */
const AT_ONCE_MS = 3_000;
/** A reply that never ends by itself. */
const ENDLESS = 'fake:endless=1,delay=50';

describeWith(POSTGRES, REDIS)('revoking sign-ins across two replicas (e2e)', () => {
  let a: TestApp;
  let b: TestApp;
  let fake: FakeLlmServer;

  beforeAll(async () => {
    fake = await startFakeLlm({ port: 0 });
    // A prefix of this run's own: the announcements of other suites sharing the Redis never reach these replicas.
    const env = { ...FAKE_UPSTREAM_ENV, REDIS_URL: REDIS_URL!, REDIS_KEY_PREFIX: `revocation-${randomBytes(4).toString('hex')}:` };
    a = await bootTestApp(env);
    b = await bootTestApp(env, a.db);
  });
  afterAll(async () => {
    await b?.close({ dropDatabase: false });
    await a?.close();
    await fake?.close();
  });

  const me = (replica: TestApp, user: TestUser) => replica.http().get('/api/auth/me').set(user.auth);

  it('logout-all on B: the token is refused on A and B at once, and the stream running on A ends with session_revoked', async () => {
    const user = await registerUser(a);
    await configureFakeProvider(a, user, 'openai', fake.url);
    // Both replicas have just read the account, so each remembers it as signed in.
    await me(a, user).expect(200);
    await me(b, user).expect(200);

    fake.reset();
    const stream = readStream(`${a.url}/api/chat/stream`, { token: user.token, body: { message: 'go on forever', provider: 'openai', model: ENDLESS } });
    await eventually(() => expect(fake.requests[0]?.deltasWritten ?? 0).toBeGreaterThan(3));

    const revokedAt = Date.now();
    await b.http().post('/api/auth/logout-all').set(user.auth).expect(204);
    await me(b, user).expect(401);
    await eventually(async () => expect((await me(a, user)).status).toBe(401), AT_ONCE_MS);
    expect(Date.now() - revokedAt).toBeLessThan(AT_ONCE_MS);

    const ended = await stream;
    expect(ended.events.at(-1)).toEqual(expect.objectContaining({ event: 'error', data: expect.objectContaining({ code: 'session_revoked' }) }));
    expect(Date.now() - revokedAt).toBeLessThan(AT_ONCE_MS);
    await fake.requests[0]!.closed;
    expect(fake.requests[0]!.closedEarly).toBe(true);

    // The refresh token is gone on both; a new sign-in sees the partial reply saved with the reason.
    for (const replica of [a, b]) {
      const refused = await replica.http().post('/api/auth/refresh').send({ refreshToken: user.refreshToken });
      expect([refused.status, refused.body.code]).toEqual([401, 'REFRESH_TOKEN_INVALID']);
    }
    const again = (await b.http().post('/api/auth/login').send({ email: user.email, password: user.password }).expect(200)).body.accessToken as string;
    const { sessionId } = ended.events[0]!.data;
    const messages = (await a.http().get(`/api/chat/sessions/${sessionId}/messages`).set('Authorization', `Bearer ${again}`).expect(200)).body.messages;
    expect(messages.at(-1)).toEqual(expect.objectContaining({ role: 'assistant', status: 'aborted', errorCode: 'session_revoked', content: ended.text }));
  });

  it('a password changed on A refuses the other devices on B at once, and the new pair works on both', async () => {
    const user = await registerUser(a);
    const other = (await b.http().post('/api/auth/login').send({ email: user.email, password: user.password }).expect(200)).body.accessToken as string;
    await b.http().get('/api/auth/me').set('Authorization', `Bearer ${other}`).expect(200);

    const changed = await a.http().put('/api/auth/password').set(user.auth).send({ currentPassword: user.password, newPassword: 'another long password' }).expect(200);
    const changedAt = Date.now();
    await eventually(async () => expect((await b.http().get('/api/auth/me').set('Authorization', `Bearer ${other}`)).status).toBe(401), AT_ONCE_MS);
    expect(Date.now() - changedAt).toBeLessThan(AT_ONCE_MS);
    for (const replica of [a, b]) await replica.http().get('/api/auth/me').set('Authorization', `Bearer ${changed.body.accessToken}`).expect(200);
  });
});
