import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { registerUser, type TestUser } from './factories/user.factory.js';
import { readStream } from './helpers/sse-client.js';
import { bootTestApp, type TestApp } from './helpers/test-app.js';

type Method = 'get' | 'post' | 'put' | 'delete';

interface Attempt {
  method: Method;
  path: string;
  /** A JS value sent as JSON, or a raw string sent as-is with a JSON content type. */
  body?: unknown;
  raw?: string;
  authorization?: string;
}

/** Every route of the API, with its path parameters left for the generator to fill. */
const ROUTES: { method: Method; path: string }[] = [
  { method: 'post', path: '/api/auth/register' },
  { method: 'post', path: '/api/auth/login' },
  { method: 'get', path: '/api/auth/me' },
  { method: 'get', path: '/api/providers' },
  { method: 'get', path: '/api/providers/:provider' },
  { method: 'put', path: '/api/providers/:provider' },
  { method: 'delete', path: '/api/providers/:provider' },
  { method: 'post', path: '/api/chat/stream' },
  { method: 'get', path: '/api/chat/sessions' },
  { method: 'get', path: '/api/chat/sessions/:id' },
  { method: 'get', path: '/api/chat/sessions/:id/messages' },
  { method: 'put', path: '/api/chat/sessions/:id/title' },
  { method: 'delete', path: '/api/chat/sessions/:id' },
  { method: 'post', path: '/api/keys' },
  { method: 'get', path: '/api/keys' },
  { method: 'delete', path: '/api/keys/:id' },
  { method: 'get', path: '/v1/models' },
  { method: 'post', path: '/v1/chat/completions' },
];

const RUNS = 1100;

/** Values that are wrong in type, size or shape for any of our fields. */
const junk = fc.oneof(
  fc.anything({ maxDepth: 2, maxKeys: 4 }),
  fc.string({ maxLength: 40 }),
  fc.constantFrom('', ' ', 'null', '__proto__', 'constructor', '../../etc/passwd', "' OR 1=1 --", '\u0000', 'x'.repeat(40_000)),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
);

const bodyArbitrary = fc.oneof(
  fc.dictionary(
    fc.constantFrom('email', 'password', 'displayName', 'message', 'messages', 'stream', 'name', 'sessionId', 'provider', 'model', 'mode', 'temperature', 'title', 'apiKey', 'baseUrl', 'defaultModel', 'isAdmin', '__proto__'),
    junk,
    { maxKeys: 5 },
  ),
  junk,
);

const idArbitrary = fc.oneof(fc.uuid(), fc.string({ maxLength: 20 }), fc.constantFrom('..', '%00', 'null', '-1', '0'.repeat(300)));
const providerArbitrary = fc.oneof(fc.constantFrom('openai', 'echo', 'custom', 'OPENAI', 'nope'), fc.string({ minLength: 1, maxLength: 20 }));
const queryArbitrary = fc.oneof(
  fc.constant(''),
  fc.record({ limit: junk, cursor: junk }).map(({ limit, cursor }) => `?limit=${encodeURIComponent(String(limit))}&cursor=${encodeURIComponent(String(cursor))}`),
  fc.string({ maxLength: 30 }).map((text) => `?${encodeURIComponent(text)}=${encodeURIComponent(text)}`),
);

function attempts(token: string) {
  return fc
    .record({
      route: fc.constantFrom(...ROUTES),
      id: idArbitrary,
      provider: providerArbitrary,
      query: queryArbitrary,
      body: bodyArbitrary,
      raw: fc.option(fc.oneof(fc.string({ maxLength: 60 }), fc.constantFrom('{', '{"a":', '[1,2', '{"message": "x",}', 'null', '"just a string"')), { nil: undefined }),
      auth: fc.oneof(
        { weight: 6, arbitrary: fc.constant(`Bearer ${token}`) },
        { weight: 1, arbitrary: fc.constantFrom('', 'Bearer', 'Bearer ', `Bearer ${token}x`, 'Basic YTpi', `bearer ${token.split('.').reverse().join('.')}`) },
        { weight: 1, arbitrary: fc.string({ maxLength: 40 }).map((text) => `Bearer ${text}`) },
      ),
    })
    .map(({ route, id, provider, query, body, raw, auth }): Attempt => {
      const path = route.path.replace(':id', encodeURIComponent(id)).replace(':provider', encodeURIComponent(provider)) + (route.method === 'get' ? query : '');
      return { method: route.method, path, ...(raw === undefined ? { body } : { raw }), authorization: auth };
    })
    // A well-formed echo stream is a legitimate request, not bad input: those are exercised elsewhere.
    .filter((attempt) => !(attempt.path === '/api/chat/stream' && typeof attempt.body === 'object' && attempt.body !== null && (attempt.body as { provider?: unknown }).provider === 'echo'));
}

describe('fuzzing every route with bad input (e2e)', () => {
  let api: TestApp;
  let user: TestUser;
  let sessionId: string;

  beforeAll(async () => {
    api = await bootTestApp({ THROTTLE_DEFAULT_LIMIT: '1000000', LOGIN_LIMIT_PER_ACCOUNT: '10000', LOGIN_LIMIT_PER_IP: '100000' });
    user = await registerUser(api);
    const stream = await readStream(`${api.url}/api/chat/stream`, { token: user.token, body: { message: 'before the storm', provider: 'echo' } });
    sessionId = stream.events[0]!.data.sessionId;
  });
  afterAll(() => api?.close());

  it(`answers ${RUNS} generated bad requests with JSON 4xx errors, never a 5xx or a hang, and keeps the data intact`, async () => {
    let sent = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(attempts(user.token), async (attempt) => {
        let request = api.http()[attempt.method](attempt.path).timeout(5_000);
        if (attempt.authorization) request = request.set('Authorization', attempt.authorization);
        // Bodies go out as JSON text we serialise ourselves: superagent cannot send a bare number or string.
        const text = attempt.raw ?? (attempt.method === 'get' || attempt.method === 'delete' ? undefined : JSON.stringify(attempt.body));
        if (text !== undefined) request = request.set('Content-Type', 'application/json').send(text);
        const response = await request;
        sent += 1;
        // Never a server error; a request the generator happened to make valid (a listing with a stray query
        // parameter) may succeed, every other answer is a 4xx in the one error shape.
        expect([attempt, response.status < 500]).toEqual([attempt, true]);
        if (response.status < 400) return;
        refused += 1;
        // A 431 comes from the HTTP parser, before any route is known: it always has the standard shape.
        if (attempt.path.startsWith('/v1/') && response.status !== 431) expect(response.body).toEqual({ error: expect.objectContaining({ message: expect.any(String), type: expect.any(String) }) });
        else expect(response.body).toEqual(expect.objectContaining({ statusCode: response.status, error: expect.any(String), message: expect.any(String) }));
      }),
      { numRuns: RUNS, seed: 20261125, endOnFailure: true },
    );
    expect(sent).toBeGreaterThanOrEqual(1000);
    expect(refused / sent).toBeGreaterThan(0.8);

    const messages = await api.http().get(`/api/chat/sessions/${sessionId}/messages`).set(user.auth).expect(200);
    expect(messages.body.messages.map((m: { role: string; status: string }) => [m.role, m.status])).toEqual([
      ['user', 'complete'],
      ['assistant', 'complete'],
    ]);
    const sessions = await api.http().get('/api/chat/sessions?limit=100').set(user.auth).expect(200);
    expect(sessions.body.sessions.map((s: { id: string }) => s.id)).toContain(sessionId);
    const streaming = [];
    for (const session of sessions.body.sessions as { id: string }[]) {
      const { body } = await api.http().get(`/api/chat/sessions/${session.id}/messages`).set(user.auth).expect(200);
      streaming.push(...(body.messages as { status: string }[]).filter((m) => m.status === 'streaming'));
    }
    expect(streaming).toEqual([]);
  });
});
