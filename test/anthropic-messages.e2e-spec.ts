import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import Anthropic from '@anthropic-ai/sdk';
import { type FakeLlmServer, replyText, startFakeLlm } from '../apps/fake-llm/src/fake-llm.server.js';
import { configureFakeProvider, FAKE_UPSTREAM_ENV } from './factories/provider.factory.js';
import { registerUser, type TestUser } from './factories/user.factory.js';
import { bootTestApp, type TestApp } from './helpers/test-app.js';


describe('Anthropic Messages API with personal API keys, through the official @anthropic-ai/sdk (e2e)', () => {
  let api: TestApp;
  let fake: FakeLlmServer;
  let user: TestUser;
  let secret: string;
  let client: Anthropic;

  beforeAll(async () => {
    fake = await startFakeLlm({ port: 0 });
    api = await bootTestApp(FAKE_UPSTREAM_ENV);
    user = await registerUser(api);
    await configureFakeProvider(api, user, 'openai', fake.url);
    await configureFakeProvider(api, user, 'anthropic', fake.url);
    secret = (await api.http().post('/api/keys').set(user.auth).send({ name: 'claude code' }).expect(201)).body.key;
    // The SDK sends the key as `x-api-key`, with `anthropic-version`.
    client = new Anthropic({ apiKey: secret, baseURL: api.url, maxRetries: 0 });
  });
  afterAll(async () => {
    await api?.close();
    await fake?.close();
  });
  beforeEach(() => fake.reset());

  it('answers a non-streaming message through any provider, system prompt first, recorded as a session', async () => {
    const message = await client.messages.create({
      model: 'openai/fake:deltas=5',
      max_tokens: 256,
      system: 'Be brief.',
      messages: [
        { role: 'user', content: 'Earlier question' },
        { role: 'assistant', content: [{ type: 'text', text: 'Earlier answer' }] },
        { role: 'user', content: [{ type: 'text', text: 'Hello from Anthropic' }] },
      ],
      metadata: { user_id: 'reporting-42' },
    });
    expect(message).toEqual(
      expect.objectContaining({ type: 'message', role: 'assistant', model: 'openai/fake:deltas=5', stop_reason: 'end_turn', content: [{ type: 'text', text: replyText(5) }] }),
    );
    expect(message.id).toMatch(/^msg_[0-9a-f-]{36}$/);
    expect(message.usage.output_tokens).toBe(5);
    expect(fake.requests[0]!.body.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Earlier question' },
      { role: 'assistant', content: 'Earlier answer' },
      { role: 'user', content: 'Hello from Anthropic' },
    ]);
    const sessions = await api.http().get('/api/chat/sessions').set('x-api-key', secret).expect(200);
    expect(sessions.body.sessions[0]).toEqual(expect.objectContaining({ title: 'Hello from Anthropic', provider: 'openai', model: 'fake:deltas=5' }));
    const saved = await api.http().get(`/api/chat/sessions/${sessions.body.sessions[0].id}/messages`).set(user.auth).expect(200);
    expect(saved.body.messages.map((m: { role: string; content: string }) => [m.role, m.content])).toEqual([
      ['user', 'Hello from Anthropic'],
      ['assistant', replyText(5)],
    ]);
  });

  it('streams the events the SDK assembles (message_start … message_stop), through the anthropic provider too', async () => {
    const stream = client.messages.stream({ model: 'anthropic/fake:deltas=7', max_tokens: 100, messages: [{ role: 'user', content: 'Stream please' }] });
    const texts: string[] = [];
    stream.on('text', (text) => texts.push(text));
    const final = await stream.finalMessage();
    expect(texts.join('')).toBe(replyText(7));
    expect(final.content).toEqual([expect.objectContaining({ type: 'text', text: replyText(7) })]);
    expect(final.stop_reason).toBe('end_turn');
    expect(final.usage.output_tokens).toBe(7);

    const raw = await client.messages.create({ model: 'openai/fake:deltas=2', max_tokens: 10, stream: true, messages: [{ role: 'user', content: 'events' }] });
    const types: string[] = [];
    for await (const event of raw) types.push(event.type);
    expect(types).toEqual(['message_start', 'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop']);
  });

  it("maps errors to the SDK's error classes, in Anthropic's shape", async () => {
    const stranger = new Anthropic({ apiKey: 'sk-chat-not-a-real-key-0000000000', baseURL: api.url, maxRetries: 0 });
    await expect(stranger.messages.create({ model: 'echo/echo-1', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(Anthropic.AuthenticationError);
    const invalid = client.messages.create({ model: 'echo/echo-1', messages: [{ role: 'user', content: 'x' }] } as unknown as Anthropic.MessageCreateParamsNonStreaming);
    await expect(invalid).rejects.toBeInstanceOf(Anthropic.BadRequestError);
    await expect(invalid).rejects.toEqual(expect.objectContaining({ error: { type: 'error', error: { type: 'invalid_request_error', message: expect.stringContaining('max_tokens') } } }));
    await expect(client.messages.create({ model: 'openai/fake', max_tokens: 10, messages: [{ role: 'assistant', content: 'x' }] })).rejects.toBeInstanceOf(Anthropic.BadRequestError);
    await expect(client.messages.create({ model: 'openai/fake:fail=429', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(Anthropic.RateLimitError);
    const failing = await client.messages.create({ model: 'openai/fake:fail=500', max_tokens: 10, stream: true, messages: [{ role: 'user', content: 'x' }] });
    await expect((async () => {
      for await (const event of failing) void event;
    })()).rejects.toBeInstanceOf(Anthropic.APIError);

    // Before routing (a malformed body) and with no key at all: the same shape.
    const malformed = await fetch(`${api.url}/v1/messages`, { method: 'POST', headers: { 'x-api-key': secret, 'Content-Type': 'application/json' }, body: '{"model":' });
    expect([malformed.status, await malformed.json()]).toEqual([400, { type: 'error', error: { type: 'invalid_request_error', message: expect.any(String) } }]);
    const anonymous = await fetch(`${api.url}/v1/messages`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
    expect([anonymous.status, await anonymous.json()]).toEqual([401, { type: 'error', error: { type: 'authentication_error', message: expect.any(String) } }]);
  });

  it('takes only personal API keys in x-api-key, and only where API keys are accepted', async () => {
    await api.http().get('/api/chat/sessions').set('x-api-key', user.token).expect(401);
    await api.http().get('/api/auth/me').set('x-api-key', secret).expect(401);
    await api.http().get('/api/auth/me').set('x-api-key', secret).set(user.auth).expect(200);
  });
});
