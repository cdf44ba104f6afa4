import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { type FakeLlmServer, replyText, startFakeLlm } from '../apps/fake-llm/src/fake-llm.server.js';
import { configureFakeProvider, FAKE_KEY, FAKE_UPSTREAM_ENV } from './factories/provider.factory.js';
import { registerUser, type TestUser } from './factories/user.factory.js';
import { eventually } from './helpers/eventually.js';
import { eventNames, readStream, type StreamOptions } from './helpers/sse-client.js';
import { bootTestApp, type TestApp } from './helpers/test-app.js';

/**
 * One server for both suites (a start costs 5-10 s of CPU): short upstream timeouts and heartbeats for the stream's
 * own tests, and a history window of 10 messages, which only the 30-turn session of the second suite reaches.
 */
let api: TestApp;
beforeAll(async () => {
  api = await bootTestApp({ ...FAKE_UPSTREAM_ENV, UPSTREAM_FIRST_TOKEN_TIMEOUT_MS: '1500', UPSTREAM_IDLE_TIMEOUT_MS: '1500', SSE_HEARTBEAT_MS: '300', CHAT_HISTORY_MAX_MESSAGES: '10' });
});
afterAll(() => api?.close());

describe('chat stream (e2e)', () => {
  let fake: FakeLlmServer;
  let user: TestUser;
  const stream = (body: Record<string, unknown>, token = user.token, until?: StreamOptions['until']) =>
    readStream(`${api.url}/api/chat/stream`, { token, body, until });
  const messagesOf = async (sessionId: string, who = user) =>
    (await api.http().get(`/api/chat/sessions/${sessionId}/messages`).set(who.auth).expect(200)).body.messages;

  beforeAll(async () => {
    fake = await startFakeLlm({ port: 0 });
    user = await registerUser(api);
    for (const provider of ['openai', 'anthropic', 'gemini'] as const) await configureFakeProvider(api, user, provider, fake.url);
  });
  afterAll(() => fake?.close());
  beforeEach(() => fake.reset());

  it('streams the echo provider with no settings and saves both messages', async () => {
    const result = await stream({ message: 'hello there friend', provider: 'echo' });
    expect(result.status).toBe(200);
    expect(result.headers.get('content-type')).toContain('text/event-stream');
    expect(result.headers.get('cache-control')).toContain('no-cache');
    expect(result.headers.get('x-accel-buffering')).toBe('no');
    // Clients learn when the connection will be closed as idle, so they do not reuse it just as it closes.
    expect(result.headers.get('keep-alive')).toBe('timeout=5');
    const names = eventNames(result);
    expect(names[0]).toBe('session');
    expect(names.at(-1)).toBe('done');
    expect(names.filter((name) => name === 'message').length).toBeGreaterThan(1);
    expect(result.events.every((event) => event.id !== undefined)).toBe(true);
    expect(result.text).toContain('hello there friend');

    const { sessionId, messageId } = result.events[0]!.data;
    const done = result.events.at(-1)!.data;
    // The route taken: one attempt, answered.
    const attempts = [{ provider: 'echo', connection: null, model: expect.any(String), status: 'ok', ms: expect.any(Number) }];
    expect(done).toEqual({ messageId, usage: expect.any(Object), responseTimeMs: expect.any(Number), attempts });
    const messages = await messagesOf(sessionId);
    expect(messages.map((m: any) => [m.role, m.status])).toEqual([
      ['user', 'complete'],
      ['assistant', 'complete'],
    ]);
    expect(messages[0].content).toBe('hello there friend');
    expect(messages[1]).toEqual(expect.objectContaining({ id: messageId, content: result.text, provider: 'echo', attempts }));
    expect(messages[1].responseTimeMs).toEqual(expect.any(Number));
  });

  it('writes events in the SSE wire format, with an id line each', async () => {
    const result = await stream({ message: 'wire', provider: 'echo' });
    const replyId = result.events[0]!.data.messageId as string;
    expect(result.raw).toMatch(new RegExp(`^(\\n)?event: session\\nid: ${replyId}:1\\ndata: \\{"sessionId":"[0-9a-f-]{36}","messageId":"${replyId}"\\}\\n\\n`));
    expect(result.raw).toMatch(new RegExp(`event: message\\nid: ${replyId}:2\\ndata: \\{"content":".+"\\}\\n\\n`));
    expect(result.raw).toMatch(new RegExp(`event: done\\nid: ${replyId}:\\d+\\ndata: \\{.*\\}\\n\\n$`));
  });

  it.each(['openai', 'anthropic', 'gemini'] as const)('relays a full %s reply and saves exactly what the client received', async (provider) => {
    const result = await stream({ message: `hi ${provider}`, provider, model: 'fake:deltas=12' });
    expect(eventNames(result)).toEqual(['session', ...Array(12).fill('message'), 'done']);
    expect(result.text).toBe(replyText(12));
    const done = result.events.at(-1)!.data;
    expect(done.usage).toEqual({ promptTokens: expect.any(Number), completionTokens: 12 });

    const upstream = fake.requests.at(-1)!;
    expect(upstream.provider).toBe(provider);
    const sentKey = { openai: upstream.headers.authorization, anthropic: upstream.headers['x-api-key'], gemini: upstream.headers['x-goog-api-key'] }[provider];
    expect(String(sentKey)).toContain(FAKE_KEY);

    const [question, answer] = await messagesOf(result.events[0]!.data.sessionId);
    expect(question.content).toBe(`hi ${provider}`);
    expect(answer).toEqual(expect.objectContaining({ status: 'complete', content: result.text, promptTokens: done.usage.promptTokens, completionTokens: 12, model: 'fake:deltas=12' }));
  });

  it('asks OpenAI-compatible upstreams for usage in the stream', async () => {
    await stream({ message: 'usage please', provider: 'openai', model: 'fake:deltas=2' });
    expect(fake.requests.at(-1)!.body).toEqual(expect.objectContaining({ stream: true, stream_options: { include_usage: true } }));
  });

  it('aborts the upstream request and saves the partial reply when the client disconnects', async () => {
    const result = await stream({ message: 'long one', provider: 'openai', model: 'fake:deltas=200,delay=30' }, user.token, (_event, events) =>
      events.filter((e) => e.event === 'message').length >= 3,
    );
    const sessionId = result.events[0]!.data.sessionId;
    const upstream = fake.requests.at(-1)!;
    await Promise.race([upstream.closed, new Promise((_, reject) => setTimeout(() => reject(new Error('upstream still open after 1 s')), 1000))]);
    expect(upstream.closedEarly).toBe(true);
    const answer = await eventually(async () => {
      const [, reply] = await messagesOf(sessionId);
      expect(reply.status).toBe('aborted');
      return reply;
    });
    expect(answer.content.startsWith(result.text)).toBe(true);
    expect(answer.content).toBe(replyText(upstream.deltasWritten).slice(0, answer.content.length));
    expect(answer.content.length).toBeLessThan(replyText(200).length);
  });

  it('lets a slow reply run past the idle timeout as long as each delta comes within it', async () => {
    // 8 deltas 400 ms apart: 3.2 s in all, against a 1.5 s idle timeout that every delta restarts.
    const result = await stream({ message: 'slow', provider: 'openai', model: 'fake:deltas=8,delay=400' });
    expect(result.events.at(-1)!.event).toBe('done');
    expect(result.events.filter((event) => event.event === 'message')).toHaveLength(8);
  });

  it.each([
    ['fail=401', 'upstream_auth'],
    ['fail=429,retry=7', 'upstream_rate_limited'],
    ['fail=500', 'upstream_error'],
    ['deltas=5,break=2', 'upstream_error'],
    ['deltas=5,stop=2', 'upstream_error'],
    ['garbage=1', 'upstream_error'],
    ['hang=1', 'upstream_timeout'],
    ['deltas=5,hangAfter=2', 'upstream_timeout'],
  ])('turns an upstream fault (%s) into an error event with code %s and saves the reply as error', async (knobs, code) => {
    const result = await stream({ message: 'fault', provider: 'openai', model: `fake:${knobs}` });
    expect(result.status).toBe(200);
    const last = result.events.at(-1)!;
    expect(last.event).toBe('error');
    expect(last.data).toEqual(expect.objectContaining({ code, error: expect.any(String) }));
    expect(JSON.stringify(result.events)).not.toContain(FAKE_KEY);
    const [, answer] = await messagesOf(result.events[0]!.data.sessionId);
    expect(answer).toEqual(expect.objectContaining({ status: 'error', errorCode: code }));
  });

  it.each([
    ['openai', 'fail=401', 'upstream_auth'],
    ['anthropic', 'fail=400', 'upstream_bad_request'],
    ['gemini', 'fail=500', 'upstream_error'],
    ['openai', 'deltas=3,errorAfter=2', 'upstream_error'],
    ['anthropic', 'deltas=3,errorAfter=2', 'upstream_error'],
  ] as const)("never shows the user what the %s upstream's error (%s) says: our code and fixed message; the log has it redacted", async (provider, knobs, code) => {
    const spelledKey = [...FAKE_KEY].join(' ');
    const logged = () => api.output().split('db-7.corp.internal rejected tenant 42').length - 1;
    const loggedBefore = logged();
    const result = await stream({ message: 'leak', provider, model: `fake:${knobs},leak=1` });
    const last = result.events.at(-1)!;
    expect(last).toEqual(expect.objectContaining({ event: 'error', data: expect.objectContaining({ code }) }));
    const [, answer] = await messagesOf(result.events[0]!.data.sessionId);
    expect(answer).toEqual(expect.objectContaining({ status: 'error', errorCode: code, error: last.data.error }));
    // The same fixed sentence for the code whatever the provider said.
    const plain = await stream({ message: 'plain', provider, model: `fake:${knobs}` });
    expect(plain.events.at(-1)!.data.error).toBe(last.data.error);
    for (const seen of [JSON.stringify(result.events), JSON.stringify(answer)]) {
      for (const leak of [spelledKey, FAKE_KEY, 'db-7.corp', 'tenant 42', 'Incorrect API key']) expect(seen).not.toContain(leak);
    }
    await eventually(() => expect(logged()).toBe(loggedBefore + 1));
    expect(api.output()).not.toContain(spelledKey);
    expect(api.output()).not.toContain(FAKE_KEY);
  });

  it('sends heartbeat comments while the upstream is silent', async () => {
    const result = await stream({ message: 'slow start', provider: 'openai', model: 'fake:deltas=2,first=900' });
    expect(result.raw).toContain(': keep-alive\n\n');
    expect(eventNames(result).at(-1)).toBe('done');
  });

  it('continues a session with its provider and model, sending the history', async () => {
    const first = await stream({ message: 'first question', provider: 'openai', model: 'fake:deltas=3' });
    const sessionId = first.events[0]!.data.sessionId;
    const second = await stream({ message: 'second question', sessionId });
    expect(eventNames(second).at(-1)).toBe('done');
    expect(second.events[0]!.data.sessionId).toBe(sessionId);
    expect(fake.requests.at(-1)!.body.messages).toEqual([
      { role: 'user', content: 'first question' },
      { role: 'assistant', content: replyText(3) },
      { role: 'user', content: 'second question' },
    ]);
    expect(await messagesOf(sessionId)).toHaveLength(4);
  });

  it('refuses before streaming: unconfigured provider, unknown provider, bad ids and bodies', async () => {
    const stranger = await registerUser(api);
    const unconfigured = await stream({ message: 'x', provider: 'openai' }, stranger.token);
    expect(unconfigured.status).toBe(400);
    expect(unconfigured.body).toEqual(expect.objectContaining({ statusCode: 400, code: 'PROVIDER_NOT_CONFIGURED' }));
    expect((await stream({ message: 'x', provider: 'nope' })).status).toBe(400);
    expect((await stream({ message: 'x', provider: 'echo', sessionId: 'not-a-uuid' })).status).toBe(400);
    expect((await stream({ message: '', provider: 'echo' })).status).toBe(400);
    expect((await stream({ message: 'x'.repeat(32_001), provider: 'echo' })).status).toBe(400);
    expect((await stream({ message: 'x', provider: 'echo', temperature: 3 })).status).toBe(400);
    expect((await stream({ message: 'x' })).status).toBe(400);
    const unknownSession = await stream({ message: 'x', provider: 'echo', sessionId: '00000000-0000-4000-8000-000000000000' });
    expect(unknownSession.status).toBe(404);
    expect(unknownSession.body).toEqual(expect.objectContaining({ statusCode: 404, error: 'Not Found', message: expect.any(String) }));
    expect((await readStream(`${api.url}/api/chat/stream`, { body: { message: 'x', provider: 'echo' } })).status).toBe(401);
  });

  it("never lets another user stream into or read someone else's session", async () => {
    const owner = await stream({ message: 'private thoughts', provider: 'echo' });
    const sessionId = owner.events[0]!.data.sessionId;
    const intruder = await registerUser(api);
    const hijack = await stream({ message: 'let me in', provider: 'echo', sessionId }, intruder.token);
    expect(hijack.status).toBe(404);
    await api.http().get(`/api/chat/sessions/${sessionId}/messages`).set(intruder.auth).expect(404);
    expect(await messagesOf(sessionId)).toHaveLength(2);
  });
});

describe('chat history window (e2e)', () => {
  let fake: FakeLlmServer;

  beforeAll(async () => {
    fake = await startFakeLlm({ port: 0 });
  });
  afterAll(() => fake?.close());

  it('sends the latest turns of a 30-turn session, not the first ones', async () => {
    const user = await registerUser(api);
    await configureFakeProvider(api, user, 'openai', fake.url);
    let sessionId: string | undefined;
    for (let turn = 0; turn < 30; turn++) {
      const result = await readStream(`${api.url}/api/chat/stream`, { token: user.token, body: { message: `turn ${turn}`, provider: 'openai', model: 'fake:deltas=1', sessionId } });
      sessionId = result.events[0]!.data.sessionId;
    }
    const sent = fake.requests.at(-1)!.body.messages as { role: string; content: string }[];
    expect(sent).toHaveLength(9);
    expect(sent.at(-1)).toEqual({ role: 'user', content: 'turn 29' });
    expect(sent[0]).toEqual({ role: 'user', content: 'turn 25' });
    expect(sent.filter((m) => m.role === 'user').map((m) => m.content)).toEqual(['turn 25', 'turn 26', 'turn 27', 'turn 28', 'turn 29']);
  });
});
