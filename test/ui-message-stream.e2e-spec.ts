import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { DefaultChatTransport, readUIMessageStream, type UIMessage, type UIMessageChunk } from 'ai';
import { type FakeLlmServer, fakeToolCall, replyText, startFakeLlm } from '../apps/fake-llm/src/fake-llm.server.js';
import { configureFakeProvider, FAKE_UPSTREAM_ENV } from './factories/provider.factory.js';
import { registerUser, type TestUser } from './factories/user.factory.js';
import { eventually } from './helpers/eventually.js';
import { describeWith, POSTGRES, REDIS } from './helpers/suite-requirements.js';
import { readStream } from './helpers/sse-client.js';
import { bootTestApp, type TestApp } from './helpers/test-app.js';

const userMessage = (text: string): UIMessage => ({ id: `u-${text.length}`, role: 'user', parts: [{ type: 'text', text }] });
type Metadata = { sessionId?: string; stopped?: boolean };

/** The message the AI SDK assembles from a UI message stream, as useChat would show it. */
async function assemble(stream: ReadableStream<UIMessageChunk>): Promise<UIMessage<Metadata>> {
  let last: UIMessage<Metadata> | undefined;
  for await (const message of readUIMessageStream<UIMessage<Metadata>>({ stream, terminateOnError: true })) last = message;
  return last!;
}
const textOf = (message: UIMessage) => message.parts.map((part) => (part.type === 'text' ? part.text : '')).join('');

describe("the AI SDK's UI message stream (useChat's transport) (e2e)", () => {
  let api: TestApp;
  let fake: FakeLlmServer;
  let user: TestUser;
  const transport = (body: object = { provider: 'openai' }) => new DefaultChatTransport({ api: `${api.url}/api/ui/chat`, headers: user.auth, body });

  beforeAll(async () => {
    fake = await startFakeLlm({ port: 0 });
    api = await bootTestApp(FAKE_UPSTREAM_ENV);
    user = await registerUser(api);
    await configureFakeProvider(api, user, 'openai', fake.url);
  });
  afterAll(async () => {
    await api?.close();
    await fake?.close();
  });
  beforeEach(() => fake.reset());

  it('answers a new chat, continues it by session id, regenerates, all recorded as the native route records them', async () => {
    const first = await assemble(
      await transport({ provider: 'openai', model: 'fake:deltas=5' }).sendMessages({ chatId: 'client-chat-1', messages: [userMessage('Hello UI')], trigger: 'submit-message', messageId: undefined, abortSignal: undefined }),
    );
    expect(first.role).toBe('assistant');
    expect(textOf(first)).toBe(replyText(5));
    const sessionId = first.metadata!.sessionId!;
    expect(sessionId).toMatch(/^[0-9a-f-]{36}$/);

    const second = await assemble(
      await transport().sendMessages({ chatId: sessionId, messages: [userMessage('Hello UI'), first, userMessage('More')], trigger: 'submit-message', messageId: undefined, abortSignal: undefined }),
    );
    expect(second.metadata!.sessionId).toBe(sessionId);
    expect(fake.requests[1]!.body.messages.map((m: { role: string }) => m.role)).toEqual(['user', 'assistant', 'user']);

    const again = await assemble(await transport().sendMessages({ chatId: sessionId, messages: [userMessage('Hello UI'), first, userMessage('More'), second], trigger: 'regenerate-message', messageId: second.id, abortSignal: undefined }));
    expect(again.id).not.toBe(second.id);
    const { body } = await api.http().get(`/api/chat/sessions/${sessionId}/messages`).set(user.auth).expect(200);
    expect(body.messages.map((m: { id: string; role: string; status: string }) => [m.role, m.status])).toEqual([
      ['user', 'complete'],
      ['assistant', 'complete'],
      ['user', 'complete'],
      ['assistant', 'complete'],
    ]);
    expect(body.messages[3].id).toBe(again.id);
    expect(body.messages[3].siblingIds).toEqual([second.id, again.id]);
  });

  it('resumes a reply the page left (the whole message again, then live), and stops one through the stop route', async () => {
    const leaving = new AbortController();
    const stream = await transport({ provider: 'openai', model: 'fake:deltas=40,delay=20' }).sendMessages({
      chatId: 'client-chat-2',
      messages: [userMessage('A long one')],
      trigger: 'submit-message',
      messageId: undefined,
      abortSignal: leaving.signal,
    });
    const reader = stream.getReader();
    const start = (await reader.read()).value as { type: string; messageMetadata: Metadata };
    expect(start.type).toBe('start');
    const sessionId = start.messageMetadata.sessionId!;
    // The page reloads: its connection goes, the reply goes on.
    leaving.abort();
    await reader.cancel().catch(() => undefined);
    const resumed = await transport().reconnectToStream({ chatId: sessionId });
    expect(textOf(await assemble(resumed!))).toBe(replyText(40));
    expect(fake.requests[0]!.closedEarly).toBe(false);

    const stopping = await transport({ provider: 'openai', model: 'fake:deltas=2000,delay=20' }).sendMessages({
      chatId: sessionId,
      messages: [userMessage('Stop me')],
      trigger: 'submit-message',
      messageId: undefined,
      abortSignal: undefined,
    });
    const stopped = assemble(stopping);
    await eventually(() => expect(fake.requests).toHaveLength(2));
    await api.http().post(`/api/chat/sessions/${sessionId}/stop`).set(user.auth).expect(200, { stopped: true });
    expect((await stopped).metadata).toEqual(expect.objectContaining({ sessionId, stopped: true }));
  });

  it("shows a reply's tool calls as dynamic tool parts awaiting their output", async () => {
    await configureFakeProvider(api, user, 'anthropic', fake.url);
    const tools = [{ name: 'weather', parameters: { type: 'object', properties: {} } }];
    const native = await readStream(`${api.url}/api/chat/stream`, { token: user.token, body: { provider: 'anthropic', model: 'fake:deltas=1,tools=1', message: 'weather?', tools } });
    const sessionId = native.events.find((event) => event.event === 'session')!.data.sessionId as string;
    const message = await assemble((await transport().reconnectToStream({ chatId: sessionId }))!);
    const call = fakeToolCall(0, ['weather'], 'anthropic');
    expect(message.parts.filter((part) => part.type === 'dynamic-tool')).toEqual([
      expect.objectContaining({ type: 'dynamic-tool', toolCallId: call.id, toolName: 'weather', state: 'input-available', input: JSON.parse(call.arguments) }),
    ]);
  });

  it('refuses bad bodies with 400 and other users\u2019 sessions with 404', async () => {
    const post = (body: object) => api.http().post('/api/ui/chat').set(user.auth).send(body);
    const wire = await post({ id: 'wire', messages: [userMessage('wire')], trigger: 'submit-message', provider: 'echo' }).expect(200).expect('x-vercel-ai-ui-message-stream', 'v1');
    expect(wire.text).toMatch(/^data: \{"type":"start",.*\n\ndata: \[DONE\]\n\n$/s);
    await post({ id: 'x', messages: [], trigger: 'submit-message' }).expect(400);
    await post({ id: 'x', messages: [userMessage('hi')], trigger: 'explode' }).expect(400);
    await post({ id: 'x', messages: [{ role: 'assistant', parts: [{ type: 'text', text: 'hi' }] }], trigger: 'submit-message', provider: 'echo' }).expect(400);
    await post({ id: 'x', messages: [{ role: 'user', parts: 'hi' }], trigger: 'submit-message', provider: 'echo' }).expect(400);
    const owner = await registerUser(api);
    const theirs = await assemble(
      await new DefaultChatTransport({ api: `${api.url}/api/ui/chat`, headers: owner.auth, body: { provider: 'echo' } }).sendMessages({
        chatId: 'theirs',
        messages: [userMessage('private')],
        trigger: 'submit-message',
        messageId: undefined,
        abortSignal: undefined,
      }),
    );
    const sessionId = theirs.metadata!.sessionId!;
    await api.http().get(`/api/ui/chat/${sessionId}/stream`).set(user.auth).expect(404);
    await post({ id: sessionId, messages: [userMessage('hi')], trigger: 'regenerate-message', provider: 'echo' }).expect(404);
    // Submitting to someone else's id starts a chat of one's own.
    const mine = await assemble(await transport({ provider: 'echo' }).sendMessages({ chatId: sessionId, messages: [userMessage('mine')], trigger: 'submit-message', messageId: undefined, abortSignal: undefined }));
    expect(mine.metadata!.sessionId).not.toBe(sessionId);
    const { body } = await api.http().get(`/api/chat/sessions/${sessionId}/messages`).set(owner.auth).expect(200);
    expect(body.messages).toHaveLength(2);
  });
});

/** Two replicas sharing PostgreSQL and Redis: CI sets TEST_DATABASE_URL and TEST_REDIS_URL. */
describeWith(POSTGRES, REDIS)("the AI SDK's UI message stream across replicas (e2e)", () => {
  let a: TestApp;
  let b: TestApp;
  let fake: FakeLlmServer;
  let user: TestUser;

  beforeAll(async () => {
    fake = await startFakeLlm({ port: 0 });
    const env = { ...FAKE_UPSTREAM_ENV, REDIS_URL: process.env.TEST_REDIS_URL! };
    a = await bootTestApp(env);
    b = await bootTestApp(env, a.db);
    user = await registerUser(a);
    await configureFakeProvider(a, user, 'openai', fake.url);
  });
  afterAll(async () => {
    await b?.close({ dropDatabase: false });
    await a?.close();
    await fake?.close();
  });

  it('resumes on one replica the reply another one runs', async () => {
    const leaving = new AbortController();
    const onA = new DefaultChatTransport({ api: `${a.url}/api/ui/chat`, headers: user.auth, body: { provider: 'openai', model: 'fake:deltas=30,delay=20' } });
    const reader = (await onA.sendMessages({ chatId: 'replicas', messages: [userMessage('Across replicas')], trigger: 'submit-message', messageId: undefined, abortSignal: leaving.signal })).getReader();
    const sessionId = ((await reader.read()).value as { messageMetadata: Metadata }).messageMetadata.sessionId!;
    leaving.abort();
    await reader.cancel().catch(() => undefined);
    const onB = new DefaultChatTransport({ api: `${b.url}/api/ui/chat`, headers: user.auth });
    expect(textOf(await assemble((await onB.reconnectToStream({ chatId: sessionId }))!))).toBe(replyText(30));
  });
});
