import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { type FakeLlmServer, startFakeLlm } from '../apps/fake-llm/src/fake-llm.server.js';
import { configureFakeProvider, FAKE_BASE_PATHS, FAKE_UPSTREAM_ENV } from './factories/provider.factory.js';
import { registerUser, type TestUser } from './factories/user.factory.js';
import { readStream } from './helpers/sse-client.js';
import { bootTestApp, type TestApp } from './helpers/test-app.js';

/** The bad text of issue #16: JSON.stringify writes both as `\u` escapes, as a hostile client would send them. */
const BAD_TEXT = [
  ['a NUL', 'x\u0000y'],
  ['a lone surrogate', 'x\ud800y'],
] as const;

/** `{"zz":[[[…]]]}`: the anonymous body that overflowed class-transformer's stack. */
const deepBody = (levels: number) => `{"zz":${'['.repeat(levels)}${']'.repeat(levels)}}`;

describe('input rules: JSON depth and size, NUL and lone surrogates (e2e)', () => {
  let api: TestApp;
  let fake: FakeLlmServer;
  let user: TestUser;
  let apiKey: string;
  let sessionId: string;
  let questionId: string;

  const sessionIds = async () =>
    ((await api.http().get('/api/chat/sessions?limit=100').set(user.auth).expect(200)).body.sessions as { id: string }[]).map((s) => s.id).sort();
  const messagesOf = async (id: string) => (await api.http().get(`/api/chat/sessions/${id}/messages?view=all`).set(user.auth).expect(200)).body.messages;

  beforeAll(async () => {
    fake = await startFakeLlm({ port: 0 });
    api = await bootTestApp({ ...FAKE_UPSTREAM_ENV, THROTTLE_DEFAULT_LIMIT: '100000', LOGIN_LIMIT_PER_IP: '10000', LOGIN_LIMIT_PER_ACCOUNT: '10000' });
    user = await registerUser(api);
    await configureFakeProvider(api, user, 'openai', fake.url);
    apiKey = (await api.http().post('/api/keys').set(user.auth).send({ name: 'input rules' }).expect(201)).body.key;
    const first = await readStream(`${api.url}/api/chat/stream`, { token: user.token, body: { message: 'the question', provider: 'openai', model: 'fake:deltas=3' } });
    expect(first.events.at(-1)!.event).toBe('done');
    sessionId = first.events[0]!.data.sessionId;
    questionId = (await messagesOf(sessionId))[0].id;
  });
  afterAll(async () => {
    await api?.close();
    await fake?.close();
  });

  describe('JSON nesting is refused while the body is read, before parsing, validation or authentication', () => {
    it('answers the 100,000-level anonymous login body with a fast 400 naming the limit', async () => {
      const started = Date.now();
      const response = await api.http().post('/api/auth/login').set('Content-Type', 'application/json').send(deepBody(100_000));
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ statusCode: 400, error: 'Bad Request', message: 'JSON body is nested deeper than 32 levels' });
      expect(Date.now() - started).toBeLessThan(1_000);
    });

    it('accepts 32 levels and refuses 33, inside an otherwise valid body, on an authenticated route too', async () => {
      const nested = (levels: number) => `${'['.repeat(levels - 1)}${']'.repeat(levels - 1)}`;
      // The body object is level 1: `extra` adds 31 more (accepted by the parser, refused by validation as unknown).
      const atLimit = await api.http().post('/api/keys').set(user.auth).set('Content-Type', 'application/json').send(`{"name":"k","extra":${nested(32)}}`);
      expect(atLimit.status).toBe(400);
      expect(atLimit.body.message).toMatch(/extra should not exist/);
      const beyond = await api.http().post('/api/keys').set(user.auth).set('Content-Type', 'application/json').send(`{"name":"k","extra":${nested(33)}}`);
      expect(beyond.body).toEqual({ statusCode: 400, error: 'Bad Request', message: 'JSON body is nested deeper than 32 levels' });
      // Brackets inside strings are text, not nesting.
      await api.http().post('/api/keys').set(user.auth).send({ name: '[{'.repeat(40) }).expect(201);
    });

    it('answers in OpenAI error shape under /v1', async () => {
      const response = await api.http().post('/v1/chat/completions').set('Authorization', `Bearer ${apiKey}`).set('Content-Type', 'application/json').send(deepBody(5_000));
      expect(response.status).toBe(400);
      expect(response.body.error).toEqual(expect.objectContaining({ message: 'JSON body is nested deeper than 32 levels', type: 'invalid_request_error' }));
    });

    it('refuses JSON in charsets other than UTF-8 (415), so the byte scan cannot be bypassed', async () => {
      const body = Buffer.from(deepBody(1_000), 'utf16le');
      const response = await api.http().post('/api/auth/login').set('Content-Type', 'application/json; charset=utf-16le').send(body);
      expect(response.status).toBe(415);
    });

    it('keeps /api/health fast while ten 200 KB deep bodies arrive at once', async () => {
      const body = deepBody(100_000);
      const health = async () => {
        const started = Date.now();
        await api.http().get('/api/health').expect(200);
        return Date.now() - started;
      };
      const [times, answers] = await Promise.all([
        (async () => {
          const spent = [];
          for (let i = 0; i < 10; i++) spent.push(await health());
          return spent;
        })(),
        Promise.all(Array.from({ length: 10 }, () => api.http().post('/api/auth/login').set('Content-Type', 'application/json').send(body))),
      ]);
      expect(answers.map((answer) => answer.status)).toEqual(Array(10).fill(400));
      expect(Math.max(...times)).toBeLessThan(1_000);
    });
  });

  describe('NUL characters and lone surrogates are refused as 400 VALIDATION_FAILED on every field', () => {
    const fresh = () => `user-${randomUUID()}@example.com`;
    /** Each field named in the issue: the request, and whether it would have reached the upstream provider. */
    const cases: { field: string; chat?: boolean; send: (bad: string) => Promise<{ status: number; body: any }> }[] = [
      { field: 'register displayName', send: (bad) => post('/api/auth/register', { email: fresh(), password: 'correct horse battery', displayName: bad }) },
      { field: 'register email', send: (bad) => post('/api/auth/register', { email: `a${bad}@example.com`, password: 'correct horse battery' }) },
      { field: 'login email', send: (bad) => post('/api/auth/login', { email: `a${bad}@example.com`, password: 'correct horse battery' }) },
      { field: 'session title', send: (bad) => put(`/api/chat/sessions/${sessionId}/title`, { title: bad }) },
      { field: 'API key name', send: (bad) => post('/api/keys', { name: bad }) },
      { field: 'provider defaultModel', send: (bad) => put('/api/providers/openai', { defaultModel: bad }) },
      { field: 'provider baseUrl', send: (bad) => put('/api/providers/openai', { baseUrl: `${fake.url}${FAKE_BASE_PATHS.openai}/${bad}` }) },
      { field: 'chat message', chat: true, send: (bad) => post('/api/chat/stream', { message: bad, provider: 'openai', model: 'fake:deltas=3' }) },
      { field: 'chat model', chat: true, send: (bad) => post('/api/chat/stream', { message: 'hi', provider: 'openai', model: `fake:deltas=3${bad}` }) },
      { field: 'edit content', chat: true, send: (bad) => post(`/api/chat/sessions/${sessionId}/messages/${questionId}/edit`, { content: bad, model: 'fake:deltas=3' }) },
      { field: 'regenerate model', chat: true, send: (bad) => post(`/api/chat/sessions/${sessionId}/regenerate`, { model: `fake:deltas=3${bad}` }) },
      {
        field: '/v1 message content',
        chat: true,
        send: (bad) => post('/v1/chat/completions', { model: 'openai/fake:deltas=3', messages: [{ role: 'user', content: bad }] }, apiKey),
      },
      {
        field: '/v1 content part text',
        chat: true,
        send: (bad) => post('/v1/chat/completions', { model: 'openai/fake:deltas=3', messages: [{ role: 'user', content: [{ type: 'text', text: bad }] }] }, apiKey),
      },
      { field: '/v1 model', chat: true, send: (bad) => post('/v1/chat/completions', { model: `openai/fake:deltas=3${bad}`, messages: [{ role: 'user', content: 'hi' }] }, apiKey) },
      { field: 'query parameter', send: (bad) => api.http().get(`/api/chat/sessions?cursor=${encodeURIComponent(bad)}`).set(user.auth) },
      { field: 'route parameter', send: (bad) => api.http().get(`/api/chat/sessions/${encodeURIComponent(bad)}`).set(user.auth) },
    ];
    function post(path: string, body: unknown, token = user.token) {
      return api.http().post(path).set('Authorization', `Bearer ${token}`).set('Content-Type', 'application/json').send(JSON.stringify(body));
    }
    function put(path: string, body: unknown) {
      return api.http().put(path).set(user.auth).set('Content-Type', 'application/json').send(JSON.stringify(body));
    }

    const table = cases
      .flatMap((row) => BAD_TEXT.map(([kind, bad]) => ({ ...row, kind, bad })))
      // A lone surrogate cannot be percent-encoded (it has no UTF-8 form): URLs only carry the NUL case.
      .filter(({ field, kind }) => !(field.endsWith('parameter') && kind === 'a lone surrogate'));
    it.each(table)('$field with $kind', async ({ field, bad, chat, send }) => {
      const sessionsBefore = await sessionIds();
      const messagesBefore = await messagesOf(sessionId);
      fake.reset();
      const response = await send(bad);
      expect(response.status).toBe(400);
      if (field.startsWith('/v1')) {
        expect(response.body).toEqual({ error: expect.objectContaining({ code: 'validation_failed', message: expect.stringMatching(/must not contain NUL characters or unpaired surrogates/) }) });
      } else {
        expect(response.body).toEqual({ statusCode: 400, error: 'Bad Request', code: 'VALIDATION_FAILED', message: expect.stringMatching(/must not contain NUL characters or unpaired surrogates$/) });
      }
      if (chat) {
        expect(fake.requests).toEqual([]);
        expect(await sessionIds()).toEqual(sessionsBefore);
        expect(await messagesOf(sessionId)).toEqual(messagesBefore);
      }
    });

    it('names the field in the message', async () => {
      const response = await post('/v1/chat/completions', { model: 'openai/x', messages: [{ role: 'user', content: 'ok' }, { role: 'user', content: 'x\u0000' }] }, apiKey);
      expect(response.body.error.message).toBe('messages[1].content must not contain NUL characters or unpaired surrogates');
      const title = await put(`/api/chat/sessions/${sessionId}/title`, { title: '\ud800' });
      expect(title.body.message).toBe('title must not contain NUL characters or unpaired surrogates');
    });

    it('still accepts paired surrogates (emoji) and other control characters', async () => {
      const title = await put(`/api/chat/sessions/${sessionId}/title`, { title: 'caf\u00e9 \ud83d\ude00 \u0001' });
      expect(title.status).toBe(200);
      expect(title.body.title).toBe('caf\u00e9 \ud83d\ude00 \u0001');
    });
  });
});
