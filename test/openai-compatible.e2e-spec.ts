import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import OpenAI from 'openai';
import { type FakeLlmServer, replyText, startFakeLlm } from '../apps/fake-llm/src/fake-llm.server.js';
import { configureFakeProvider, FAKE_UPSTREAM_ENV } from './factories/provider.factory.js';
import { registerUser, type TestUser } from './factories/user.factory.js';
import { eventually } from './helpers/eventually.js';
import { bootTestApp, type TestApp } from './helpers/test-app.js';


describe('OpenAI-compatible API with personal API keys, through the official openai SDK (e2e)', () => {
  let api: TestApp;
  let fake: FakeLlmServer;
  let user: TestUser;
  let secret: string;
  let client: OpenAI;

  beforeAll(async () => {
    fake = await startFakeLlm({ port: 0 });
    api = await bootTestApp(FAKE_UPSTREAM_ENV);
    user = await registerUser(api);
    await configureFakeProvider(api, user, 'openai', fake.url);
    await configureFakeProvider(api, user, 'anthropic', fake.url);
    const created = await api.http().post('/api/keys').set(user.auth).send({ name: 'ci client' }).expect(201);
    secret = created.body.key;
    client = new OpenAI({ apiKey: secret, baseURL: `${api.url}/v1`, maxRetries: 0 });
  });
  afterAll(async () => {
    await api?.close();
    await fake?.close();
  });
  beforeEach(() => fake.reset());

  it('issues a key once and lists it without its secret', async () => {
    expect(secret).toMatch(/^sk-chat-[A-Za-z0-9_-]{43}$/);
    const list = await api.http().get('/api/keys').set(user.auth).expect(200);
    expect(list.body.keys[0]).toEqual({ id: expect.any(String), name: 'ci client', prefix: secret.slice(0, 12), createdAt: expect.any(String), lastUsedAt: null });
    expect(JSON.stringify(list.body)).not.toContain(secret);
  });

  it('lists models as provider/model', async () => {
    const ids = (await client.models.list()).data.map((model) => model.id);
    expect(ids).toEqual(expect.arrayContaining(['echo/echo-1', 'openai/gpt-4o-mini', 'anthropic/claude-sonnet-4-5']));
    expect(ids.some((id) => id.startsWith('gemini/'))).toBe(false);
  });

  it('answers a non-streaming completion with usage, recorded as a session', async () => {
    const completion = await client.chat.completions.create({
      model: 'openai/fake:deltas=5',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hello' },
      ],
      top_p: 0.9,
    });
    expect(completion.object).toBe('chat.completion');
    expect(completion.choices[0]!.message.content).toBe(replyText(5));
    expect(completion.usage).toEqual(expect.objectContaining({ completion_tokens: 5, total_tokens: expect.any(Number) }));
    expect(fake.requests[0]!.body.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hello' },
    ]);
    const sessions = await api.http().get('/api/chat/sessions').set('Authorization', `Bearer ${secret}`).expect(200);
    expect(sessions.body.sessions[0]).toEqual(expect.objectContaining({ title: 'Hello', provider: 'openai', model: 'fake:deltas=5' }));
  });

  it('records nothing when the client sends store: false', async () => {
    const before = (await api.http().get('/api/chat/sessions?limit=100').set(user.auth).expect(200)).body.sessions.length;
    const completion = await client.chat.completions.create({ model: 'openai/fake:deltas=2', messages: [{ role: 'user', content: 'off the record' }], store: false });
    expect(completion.choices[0]!.message.content).toBe(replyText(2));
    const after = (await api.http().get('/api/chat/sessions?limit=100').set(user.auth).expect(200)).body.sessions;
    expect(after.length).toBe(before);
    expect(JSON.stringify(after)).not.toContain('off the record');
  });

  it('streams chunks through any provider, with the usage chunk when asked', async () => {
    const { data: stream, response } = await client.chat.completions
      .create({
        model: 'anthropic/fake:deltas=7',
        messages: [{ role: 'user', content: [{ type: 'text', text: 'Stream please' }] }],
        stream: true,
        stream_options: { include_usage: true },
      })
      .withResponse();
    expect(response.headers.get('keep-alive')).toBe('timeout=5');
    let content = '';
    let usage: OpenAI.CompletionUsage | undefined | null;
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      content += chunk.choices[0]?.delta.content ?? '';
      finish ??= chunk.choices[0]?.finish_reason;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(content).toBe(replyText(7));
    expect(finish).toBe('stop');
    expect(usage).toEqual(expect.objectContaining({ completion_tokens: 7 }));
  });

  it('maps errors to the SDK error classes', async () => {
    await expect(client.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    await expect(client.chat.completions.create({ model: 'openai/fake', messages: [{ role: 'assistant', content: 'x' }] })).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    const limited = client.chat.completions.create({ model: 'openai/fake:fail=429', messages: [{ role: 'user', content: 'x' }] });
    await expect(limited).rejects.toBeInstanceOf(OpenAI.RateLimitError);
    await expect(limited).rejects.toEqual(expect.objectContaining({ status: 429, type: 'rate_limit_error' }));
    const failing = await client.chat.completions.create({ model: 'openai/fake:fail=500', messages: [{ role: 'user', content: 'x' }], stream: true });
    await expect((async () => {
      for await (const chunk of failing) void chunk;
    })()).rejects.toBeInstanceOf(OpenAI.APIError);
    const bad = await fetch(`${api.url}/v1/chat/completions`, { method: 'POST', headers: { Authorization: `Bearer ${secret}`, 'Content-Type': 'application/json' }, body: '{"model": 1}' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: { message: expect.any(String), type: 'invalid_request_error', param: null, code: null } });
  });

  it('answers errors raised before routing in OpenAI shape too: unknown /v1 routes, malformed bodies', async () => {
    const unknown = await fetch(`${api.url}/v1/no-such-route`, { headers: { Authorization: `Bearer ${secret}` } });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: { message: expect.any(String), type: 'invalid_request_error', param: null, code: null } });
    const malformed = await fetch(`${api.url}/v1/chat/completions`, { method: 'POST', headers: { Authorization: `Bearer ${secret}`, 'Content-Type': 'application/json' }, body: '{"model":' });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toEqual({ error: { message: expect.any(String), type: 'invalid_request_error', param: null, code: null } });
    const ours = await fetch(`${api.url}/api/no-such-route`);
    expect(await ours.json()).toEqual(expect.objectContaining({ statusCode: 404 }));
  });

  it('cancels the upstream call and saves the partial reply when the client aborts', async () => {
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { model: 'openai/fake:deltas=200,delay=20', messages: [{ role: 'user', content: 'long' }], stream: true },
      { signal: controller.signal },
    );
    let chunks = 0;
    // The SDK ends the iteration (quietly, or with an abort error, depending on timing) once aborted; chunks it had
    // already read in the same network read may still come first, so the loop leaves by itself.
    await (async () => {
      for await (const chunk of stream) {
        if (chunk.choices[0]?.delta.content && ++chunks === 3) {
          controller.abort();
          break;
        }
      }
    })().catch(() => undefined);
    // Three content chunks came before the abort: it cut the reply short, it did not follow its end.
    expect(chunks).toBe(3);
    const upstream = fake.requests[0]!;
    await upstream.closed;
    expect(upstream.closedEarly).toBe(true);
    const sessions = await api.http().get('/api/chat/sessions').set(user.auth).expect(200);
    const sessionId = sessions.body.sessions[0].id;
    await eventually(async () => {
      const { body } = await api.http().get(`/api/chat/sessions/${sessionId}/messages`).set(user.auth).expect(200);
      expect(body.messages[1]).toEqual(expect.objectContaining({ status: 'aborted', errorCode: 'client_disconnected' }));
    });
  });

  it('accepts keys only where machine clients belong, and revocation is immediate', async () => {
    const other = await registerUser(api);
    const key = (await api.http().post('/api/keys').set(other.auth).send({ name: 'short-lived' }).expect(201)).body;
    await api.http().get('/api/keys').set('Authorization', `Bearer ${key.key}`).expect(401);
    await api.http().get('/api/chat/sessions').set('Authorization', `Bearer ${key.key}`).expect(200);
    await api.http().delete(`/api/keys/${key.id}`).set(user.auth).expect(404);
    await api.http().delete(`/api/keys/${key.id}`).set(other.auth).expect(200);
    const revoked = new OpenAI({ apiKey: key.key, baseURL: `${api.url}/v1`, maxRetries: 0 });
    await expect(revoked.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    await expect(new OpenAI({ apiKey: 'sk-chat-not-a-real-key', baseURL: `${api.url}/v1`, maxRetries: 0 }).models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });
});
