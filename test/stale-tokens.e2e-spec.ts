import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import jwt from 'jsonwebtoken';
import { createHmac, randomUUID } from 'node:crypto';
import pg from 'pg';
import { type FakeLlmServer, startFakeLlm } from '../apps/fake-llm/src/fake-llm.server.js';
import { configureFakeProvider, FAKE_UPSTREAM_ENV } from './factories/provider.factory.js';
import { registerUser, signAccessToken, type TestUser } from './factories/user.factory.js';
import { eventually } from './helpers/eventually.js';
import { readStream } from './helpers/sse-client.js';
import { describeWith, POSTGRES } from './helpers/suite-requirements.js';
import { bootTestApp, TEST_ENV, type TestApp } from './helpers/test-app.js';

/** A stream token signed as the server signs them: a key derived from JWT_SECRET, its own audience. */
const streamToken = (sub: string, sessionId: string) =>
  jwt.sign({ sub, sid: sessionId, ver: 0 }, createHmac('sha256', TEST_ENV.JWT_SECRET).update('stream-token').digest(), {
    algorithm: 'HS256',
    audience: 'chat-session-stream',
    expiresIn: 60,
  });

interface Route {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
  body?: object;
}

/** Every route that needs a user, with a body that would pass validation. */
const authenticatedRoutes = (sessionId: string, messageId: string): Route[] => [
  { method: 'get', path: '/api/auth/me' },
  { method: 'patch', path: '/api/auth/me', body: { displayName: 'ghost' } },
  { method: 'delete', path: '/api/auth/me', body: { password: 'correct horse battery' } },
  { method: 'get', path: '/api/auth/me/export' },
  { method: 'put', path: '/api/auth/password', body: { currentPassword: 'correct horse battery', newPassword: 'a ghost password' } },
  { method: 'post', path: '/api/auth/logout-all' },
  { method: 'post', path: '/api/keys', body: { name: 'ci' } },
  { method: 'get', path: '/api/keys' },
  { method: 'delete', path: `/api/keys/${randomUUID()}` },
  { method: 'get', path: '/api/providers' },
  { method: 'get', path: '/api/providers/openai' },
  { method: 'put', path: '/api/providers/openai', body: { apiKey: 'sk-ghost-key-0001' } },
  { method: 'delete', path: '/api/providers/openai' },
  { method: 'get', path: '/api/chat/sessions' },
  { method: 'get', path: `/api/chat/sessions/${sessionId}` },
  { method: 'get', path: `/api/chat/sessions/${sessionId}/messages` },
  { method: 'put', path: `/api/chat/sessions/${sessionId}/branch`, body: { messageId } },
  { method: 'put', path: `/api/chat/sessions/${sessionId}/title`, body: { title: 'ghost' } },
  { method: 'delete', path: `/api/chat/sessions/${sessionId}` },
  { method: 'post', path: '/api/chat/stream', body: { message: 'hello', provider: 'openai', model: 'fake:deltas=3' } },
  { method: 'post', path: `/api/chat/sessions/${sessionId}/regenerate`, body: { provider: 'openai', model: 'fake:deltas=3' } },
  { method: 'post', path: `/api/chat/sessions/${sessionId}/messages/${messageId}/edit`, body: { content: 'edited', provider: 'openai', model: 'fake:deltas=3' } },
  { method: 'get', path: `/api/chat/sessions/${sessionId}/stream` },
  { method: 'post', path: `/api/chat/sessions/${sessionId}/stream-token` },
  { method: 'post', path: `/api/chat/sessions/${sessionId}/stop` },
  { method: 'get', path: '/v1/models' },
  { method: 'post', path: '/v1/chat/completions', body: { model: 'openai/fake:deltas=3', messages: [{ role: 'user', content: 'hi' }], stream: true } },
];

/** Sends `credential` to every authenticated route; each must answer 401 before any upstream call. */
async function expectRefusedEverywhere(api: TestApp, fake: FakeLlmServer, credential: string, sessionId: string, messageId: string) {
  const upstreamCalls = fake.requests.length;
  const answers = [];
  for (const route of authenticatedRoutes(sessionId, messageId)) {
    const call = api.http()[route.method](route.path).set('Authorization', `Bearer ${credential}`);
    const response = await (route.body ? call.send(route.body) : call);
    answers.push({ route: `${route.method.toUpperCase()} ${route.path}`, status: response.status, code: response.body.code ?? response.body.error?.code });
  }
  expect(answers).toEqual(answers.map(({ route }) => ({ route, status: 401, code: expect.stringMatching(/^unauthenticated$/i) })));
  // The chat stream says no before any event: a JSON 401, not a stream that fails later.
  const stream = await readStream(`${api.url}/api/chat/stream`, { token: credential, body: { message: 'hello', provider: 'openai', model: 'fake:deltas=3' } });
  expect(stream.status).toBe(401);
  expect(stream.events).toEqual([]);
  expect(fake.requests.length).toBe(upstreamCalls);
}

/** One server for the file's suites (the same settings; a start costs 5-10 s of CPU), each with a fake upstream of its own. */
let api: TestApp;
beforeAll(async () => {
  api = await bootTestApp(FAKE_UPSTREAM_ENV);
});
afterAll(() => api?.close());

describe('tokens of users that do not exist (e2e)', () => {
  let fake: FakeLlmServer;

  beforeAll(async () => {
    fake = await startFakeLlm({ port: 0 });
  });
  afterAll(() => fake?.close());

  it('answers 401 on every route to a validly signed token for a user id that no row has', async () => {
    await expectRefusedEverywhere(api, fake, signAccessToken(randomUUID()), randomUUID(), randomUUID());
  });

  it.each(['admin', '1', "' OR 1=1 --", '00000000-0000-0000-0000-00000000000g', 'a'.repeat(64)])(
    'answers 401 on every route to a validly signed token whose subject %p is not a user id',
    async (sub) => {
      await expectRefusedEverywhere(api, fake, signAccessToken(sub), randomUUID(), randomUUID());
    },
  );

  it('refuses a stream token for a user that does not exist, or whose subject is not a user id', async () => {
    const sessionId = randomUUID();
    for (const sub of [randomUUID(), 'admin']) {
      const response = await api.http().get(`/api/chat/sessions/${sessionId}/stream`).query({ token: streamToken(sub, sessionId) });
      expect({ sub, status: response.status, code: response.body.code }).toEqual({ sub, status: 401, code: 'UNAUTHENTICATED' });
    }
  });
});

/** Deleting an account needs SQL against the server's own database: runs in the PostgreSQL pass (TEST_DATABASE_URL). */
const onPostgres = describeWith(POSTGRES);

onPostgres('tokens of a deleted user (e2e)', () => {
  let fake: FakeLlmServer;
  let db: pg.Client;

  beforeAll(async () => {
    fake = await startFakeLlm({ port: 0 });
    db = new pg.Client({ connectionString: api.db.env.DATABASE_URL });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    await fake?.close();
  });

  it('refuses the access token, the stream token and the API key of a deleted user within seconds, on every route', async () => {
    const user: TestUser = await registerUser(api);
    await configureFakeProvider(api, user, 'openai', fake.url);
    const chat = await readStream(`${api.url}/api/chat/stream`, { token: user.token, body: { message: 'before', provider: 'openai', model: 'fake:deltas=3' } });
    expect(chat.events.at(-1)!.event).toBe('done');
    const { sessionId, messageId } = chat.events[0]!.data;
    const apiKey = (await api.http().post('/api/keys').set(user.auth).send({ name: 'mine' }).expect(201)).body.key as string;
    const follow = (await api.http().post(`/api/chat/sessions/${sessionId}/stream-token`).set(user.auth).expect(200)).body.token as string;
    // Authenticated just now: the server remembers the user exists.
    await api.http().get('/api/auth/me').set(user.auth).expect(200);

    const deletedAt = Date.now();
    await db.query('DELETE FROM users WHERE id = $1', [user.id]);
    await eventually(async () => {
      expect((await api.http().get('/api/chat/sessions').set(user.auth)).status).toBe(401);
    }, 15_000);
    // Refused within the server's remembering time (10 s), plus slack for a loaded machine.
    expect(Date.now() - deletedAt).toBeLessThan(13_000);

    await expectRefusedEverywhere(api, fake, user.token, sessionId, messageId);
    const followed = await api.http().get(`/api/chat/sessions/${sessionId}/stream`).query({ token: follow });
    expect(followed.status).toBe(401);
    const byKey = await readStream(`${api.url}/v1/chat/completions`, {
      token: apiKey,
      body: { model: 'openai/fake:deltas=3', messages: [{ role: 'user', content: 'hi' }], stream: true },
    });
    expect(byKey.status).toBe(401);
  });
});
