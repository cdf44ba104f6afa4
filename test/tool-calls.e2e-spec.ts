import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { echoToolResults, FAKE_GEMINI_SIGNATURE, fakeToolCall, type FakeLlmServer, replyText, startFakeLlm } from '../apps/fake-llm/src/fake-llm.server.js';
import { configureFakeProvider, FAKE_UPSTREAM_ENV } from './factories/provider.factory.js';
import { registerUser, type TestUser } from './factories/user.factory.js';
import { eventNames, readStream, type SseEvent, type StreamResult } from './helpers/sse-client.js';
import { bootTestApp, type TestApp } from './helpers/test-app.js';

/** The wire formats whose tool-call streams the strategies speak. */
const FORMATS = ['openai', 'anthropic', 'gemini'] as const;

const TOOLS = [
  { name: 'weather', description: 'The weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
  { name: 'time', parameters: { type: 'object', properties: {} } },
];
const toolCallsOf = (result: StreamResult) => result.events.filter((event) => event.event === 'tool_call').map((event) => event.data as { id: string; name: string; arguments: string });
const doneOf = (result: StreamResult) => result.events.find((event) => event.event === 'done')?.data;
const sessionOf = (result: StreamResult) => result.events.find((event) => event.event === 'session')!.data.sessionId as string;

describe('tool calls: the native loop and /v1, through the fake upstream (e2e)', () => {
  let api: TestApp;
  let fake: FakeLlmServer;
  let user: TestUser;
  const stream = (body: Record<string, unknown>, until?: (event: SseEvent, events: SseEvent[]) => boolean) =>
    readStream(`${api.url}/api/chat/stream`, { token: user.token, body, ...(until && { until }) });
  const sendResults = (sessionId: string, body: Record<string, unknown>, who = user) =>
    readStream(`${api.url}/api/chat/sessions/${sessionId}/tool-results`, { token: who.token, body });
  const messagesOf = async (sessionId: string) => (await api.http().get(`/api/chat/sessions/${sessionId}/messages`).set(user.auth).expect(200)).body.messages;
  /** A new session whose reply made `calls` tool calls, and those calls. */
  const callingSession = async (provider: string, calls = 2) => {
    const result = await stream({ provider, model: `fake:deltas=2,tools=${calls}`, message: 'weather and time?', tools: TOOLS });
    return { sessionId: sessionOf(result), calls: toolCallsOf(result), result };
  };

  beforeAll(async () => {
    fake = await startFakeLlm({ port: 0 });
    // A small message cap, so that a tool loop outgrows it within a test.
    api = await bootTestApp({ ...FAKE_UPSTREAM_ENV, CHAT_HISTORY_MAX_MESSAGES: '6' });
    user = await registerUser(api);
    for (const provider of FORMATS) await configureFakeProvider(api, user, provider, fake.url);
  });
  afterAll(async () => {
    await api?.close();
    await fake?.close();
  });
  beforeEach(() => fake.reset());

  describe.each(FORMATS)('native loop, %s format', (provider) => {
    it('streams complete calls, ends with finishReason tool_calls, and answers the results on a new stream', async () => {
      const { sessionId, calls, result } = await callingSession(provider);
      expect(eventNames(result)).toEqual(['session', 'message', 'message', 'tool_call', 'tool_call', 'done']);
      const expected = [0, 1].map((i) => fakeToolCall(i, ['weather', 'time'], provider));
      expect(calls).toEqual(expected.map((call) => ({ id: call.id ?? expect.any(String), name: call.name, arguments: call.arguments })));
      expect(doneOf(result)).toEqual(expect.objectContaining({ finishReason: 'tool_calls' }));

      const answered = await sendResults(sessionId, { results: calls.map((call, i) => ({ toolCallId: call.id, content: `r${i}` })) });
      expect(answered.status).toBe(200);
      expect(eventNames(answered)).toEqual(['session', 'message', 'done']);
      expect(answered.text).toBe(echoToolResults(['r0', 'r1']));
      expect(doneOf(answered).finishReason).toBeUndefined();

      const messages = await messagesOf(sessionId);
      expect(messages.map((message: { role: string }) => message.role)).toEqual(['user', 'assistant', 'tool', 'assistant']);
      expect(messages[1].parts.filter((part: { type: string }) => part.type === 'tool_call')).toEqual(calls.map((call) => expect.objectContaining(call)));
      expect(messages[2].parts).toEqual(calls.map((call, i) => ({ type: 'tool_result', toolCallId: call.id, content: `r${i}` })));
      expect(messages[3].parentId).toBe(messages[2].id);
    });
  });

  describe('the OpenAI wire format sent upstream', () => {
    it('offers the tools on the first request and again with the calls and results on the continuation', async () => {
      const { sessionId, calls } = await callingSession('openai', 1);
      const first = fake.requests.at(-1)!.body;
      expect(first.tools.map((tool: { function: { name: string } }) => tool.function.name)).toEqual(['weather', 'time']);
      fake.reset();
      await sendResults(sessionId, { results: [{ toolCallId: calls[0]!.id, content: 'sunny' }] });
      const continued = fake.requests.at(-1)!.body;
      expect(continued.tools).toEqual(first.tools);
      expect(continued.messages.slice(-3)).toEqual([
        { role: 'user', content: 'weather and time?' },
        expect.objectContaining({ role: 'assistant', tool_calls: [expect.objectContaining({ id: calls[0]!.id, function: { name: 'weather', arguments: calls[0]!.arguments } })] }),
        { role: 'tool', tool_call_id: calls[0]!.id, content: 'sunny' },
      ]);
    });
  });

  describe('a tool loop longer than CHAT_HISTORY_MAX_MESSAGES (6 here)', () => {
    const roles = (messages: { role: string }[]) => messages.map((message) => message.role);

    it('still sends the question that began it, then its newest rounds whole', async () => {
      const first = await callingSession('openai', 1);
      let calls = first.calls;
      for (let round = 0; round < 8; round++) {
        const answered = await sendResults(first.sessionId, { model: 'fake:deltas=1,tools=1,loop=1', results: [{ toolCallId: calls[0]!.id, content: `r${round}` }] });
        calls = toolCallsOf(answered);
        expect(calls).toHaveLength(1);
      }
      const body = fake.requests.at(-1)!.body;
      expect(roles(body.messages)).toEqual(['user', 'assistant', 'tool', 'assistant', 'tool', 'assistant', 'tool']);
      expect(body.messages[0]).toEqual({ role: 'user', content: 'weather and time?' });
      expect(body.messages.filter((message: { role: string }) => message.role === 'tool').map((message: { content: string }) => message.content)).toEqual(['r5', 'r6', 'r7']);
      expect(body.messages[1].tool_calls).toHaveLength(1);
    });

    it('on /v1/chat/completions too: the last user message stays in front of its chain', async () => {
      const created = await api.http().post('/api/keys').set(user.auth).send({ name: 'long loop client' }).expect(201);
      const rounds = [0, 1, 2, 3].flatMap((i) => [
        { role: 'assistant', content: null, tool_calls: [{ id: `call_${i}`, type: 'function', function: { name: 'weather', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: `call_${i}`, content: `v${i}` },
      ]);
      const response = await api
        .http()
        .post('/v1/chat/completions')
        .set('Authorization', `Bearer ${created.body.key}`)
        .send({ model: 'openai/fake:deltas=1', tools: [{ type: 'function', function: { name: 'weather', parameters: { type: 'object' } } }], messages: [{ role: 'user', content: 'go' }, ...rounds] });
      expect(response.status).toBe(200);
      expect(response.body.choices[0].message.content).toBe(echoToolResults(['v3']));
      const body = fake.requests.at(-1)!.body;
      expect(roles(body.messages)).toEqual(['user', 'assistant', 'tool', 'assistant', 'tool']);
      expect(body.messages[0]).toEqual({ role: 'user', content: 'go' });
      expect(body.messages.at(-1)).toEqual({ role: 'tool', tool_call_id: 'call_3', content: 'v3' });
    });
  });

  describe('the Anthropic wire format sent upstream', () => {
    it('offers the tools of the history with tool_choice none to a later message that offers none, as Anthropic requires', async () => {
      const { sessionId, calls } = await callingSession('anthropic', 1);
      await sendResults(sessionId, { results: [{ toolCallId: calls[0]!.id, content: 'sunny' }] });
      fake.reset();
      const later = await stream({ sessionId, provider: 'anthropic', model: 'fake:deltas=2', message: 'thanks' });
      expect(eventNames(later)).toEqual(['session', 'message', 'message', 'done']);
      const body = fake.requests.at(-1)!.body;
      expect(body.tools.map((tool: { name: string }) => tool.name)).toEqual(['weather', 'time']);
      expect(body.tool_choice).toEqual({ type: 'none' });
      expect(JSON.stringify(body.messages)).toContain('"type":"tool_use"');
    });
  });

  describe('the Gemini wire format sent upstream', () => {
    it("sends the call's thoughtSignature back with it on the continuation", async () => {
      const { sessionId, calls } = await callingSession('gemini', 1);
      await sendResults(sessionId, { results: [{ toolCallId: calls[0]!.id, content: 'sunny' }] });
      expect(JSON.stringify(fake.requests.at(-1)!.body.contents)).toContain(FAKE_GEMINI_SIGNATURE);
    });
  });

  describe('tool-results refusals', () => {
    it('refuses unknown, duplicate and missing results (400) and a reply without calls (409), writing nothing', async () => {
      const { sessionId, calls } = await callingSession('openai');
      const [a, b] = calls.map((call) => call.id);
      const refusal = async (results: unknown[]) => (await sendResults(sessionId, { results })).body;
      expect(await refusal([{ toolCallId: 'nope', content: 'x' }, { toolCallId: b, content: 'y' }])).toEqual(expect.objectContaining({ statusCode: 400, code: 'TOOL_CALL_UNKNOWN' }));
      expect(await refusal([{ toolCallId: a, content: 'x' }, { toolCallId: a, content: 'y' }])).toEqual(expect.objectContaining({ statusCode: 400, code: 'TOOL_RESULT_DUPLICATE' }));
      expect(await refusal([{ toolCallId: a, content: 'x' }])).toEqual(expect.objectContaining({ statusCode: 400, code: 'TOOL_RESULTS_MISSING' }));
      expect((await messagesOf(sessionId)).map((message: { role: string }) => message.role)).toEqual(['user', 'assistant']);

      const plain = await stream({ provider: 'openai', model: 'fake:deltas=2', message: 'hi' });
      expect((await sendResults(sessionOf(plain), { results: [{ toolCallId: a, content: 'x' }] })).body).toEqual(expect.objectContaining({ statusCode: 409, code: 'NO_PENDING_TOOL_CALLS' }));
      // Answered once: the calls are no longer pending.
      await sendResults(sessionId, { results: [{ toolCallId: a, content: 'x' }, { toolCallId: b, content: 'y' }] });
      expect((await sendResults(sessionId, { results: [{ toolCallId: a, content: 'x' }, { toolCallId: b, content: 'y' }] })).body.code).toBe('NO_PENDING_TOOL_CALLS');
    });

    it('refuses invalid tools on the chat request (400) before any event', async () => {
      for (const tools of [[{ name: 'has space', parameters: {} }], [{ name: 'f', parameters: 'no' }], Array.from({ length: 129 }, (_, i) => ({ name: `f${i}`, parameters: {} }))]) {
        const result = await stream({ provider: 'openai', model: 'fake:deltas=1', message: 'hi', tools });
        expect(result.body).toEqual(expect.objectContaining({ statusCode: 400 }));
      }
      expect((await stream({ provider: 'openai', model: 'fake:deltas=1', message: 'hi', tools: TOOLS, toolChoice: 'sometimes' })).body.statusCode).toBe(400);
      expect(fake.requests).toHaveLength(0);
    });
  });

  describe('stop, resume and regenerate mid-loop', () => {
    it('stops a continuation, replays its events to a follower, and regenerates it from the tool message', async () => {
      const { sessionId, calls } = await callingSession('openai', 1);
      const results = { results: [{ toolCallId: calls[0]!.id, content: 'cloudy' }] };
      // The continuation is slow to start: stopped before its answer comes.
      const started = await readStream(`${api.url}/api/chat/sessions/${sessionId}/tool-results`, {
        token: user.token,
        body: { ...results, model: 'fake:first=5000', detach: true },
        until: (event) => event.event === 'session',
      });
      expect(eventNames(started)).toEqual(['session']);
      await api.http().post(`/api/chat/sessions/${sessionId}/stop`).set(user.auth).expect(200, { stopped: true });
      const followed = await readStream(`${api.url}/api/chat/sessions/${sessionId}/stream`, { token: user.token, method: 'GET' });
      expect(doneOf(followed)).toEqual(expect.objectContaining({ stopped: true }));

      const again = await readStream(`${api.url}/api/chat/sessions/${sessionId}/regenerate`, { token: user.token, body: { model: 'fake:deltas=1' } });
      expect(again.text).toBe(echoToolResults(['cloudy']));
      const messages = await messagesOf(sessionId);
      expect(messages.map((message: { role: string }) => message.role)).toEqual(['user', 'assistant', 'tool', 'assistant']);
      expect(messages[3].siblingIds).toHaveLength(2);
    });

    it('replays tool_call events to a follower after the reply ended', async () => {
      const { sessionId, calls } = await callingSession('openai');
      const followed = await readStream(`${api.url}/api/chat/sessions/${sessionId}/stream`, { token: user.token, method: 'GET' });
      expect(toolCallsOf(followed)).toEqual(calls);
      expect(doneOf(followed).finishReason).toBe('tool_calls');
    });

    it('answers an edited question with the tools its reply was offered', async () => {
      const { sessionId } = await callingSession('openai', 1);
      const [question] = await messagesOf(sessionId);
      fake.reset();
      const edited = await readStream(`${api.url}/api/chat/sessions/${sessionId}/messages/${question.id}/edit`, { token: user.token, body: { content: 'and now?' } });
      expect(toolCallsOf(edited)).toHaveLength(1);
      expect(fake.requests.at(-1)!.body.tools).toHaveLength(2);
    });

    it('regenerates the reply that called tools with the same tools', async () => {
      const { sessionId } = await callingSession('openai', 1);
      fake.reset();
      const again = await readStream(`${api.url}/api/chat/sessions/${sessionId}/regenerate`, { token: user.token, body: {} });
      expect(toolCallsOf(again)).toHaveLength(1);
      expect(fake.requests.at(-1)!.body.tools).toHaveLength(2);
    });
  });

  describe('/v1/chat/completions through the official openai SDK', () => {
    let client: OpenAI;
    let key: string;
    const tools: OpenAI.ChatCompletionTool[] = TOOLS.map(({ name, description, parameters }) => ({ type: 'function', function: { name, ...(description && { description }), parameters } }));

    beforeAll(async () => {
      const created = await api.http().post('/api/keys').set(user.auth).send({ name: 'tools client' }).expect(201);
      key = created.body.key;
      client = new OpenAI({ apiKey: key, baseURL: `${api.url}/v1`, maxRetries: 0 });
    });

    it('streams delta.tool_calls the SDK assembles, then answers the tool messages', async () => {
      const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'weather and time?' }];
      const runner = client.chat.completions.stream({ model: 'openai/fake:deltas=1,tools=2', messages, tools, tool_choice: 'auto', parallel_tool_calls: true });
      const completion = await runner.finalChatCompletion();
      const choice = completion.choices[0]!;
      expect(choice.finish_reason).toBe('tool_calls');
      const toolCalls = choice.message.tool_calls as OpenAI.ChatCompletionMessageFunctionToolCall[];
      expect(toolCalls.map((call) => ({ id: call.id, name: call.function.name, arguments: call.function.arguments }))).toEqual(
        [0, 1].map((i) => fakeToolCall(i, ['weather', 'time'], 'openai')),
      );
      expect(fake.requests.at(-1)!.body).toEqual(expect.objectContaining({ tool_choice: 'auto', parallel_tool_calls: true }));

      const answer = await client.chat.completions.create({
        model: 'openai/fake:deltas=1',
        tools,
        messages: [...messages, choice.message as OpenAI.ChatCompletionMessageParam, ...toolCalls.map((call, i) => ({ role: 'tool' as const, tool_call_id: call.id, content: `v${i}` }))],
      });
      expect(answer.choices[0]!.message.content).toBe(echoToolResults(['v0', 'v1']));
      expect(answer.choices[0]!.finish_reason).toBe('stop');
    });

    it.each(['anthropic', 'gemini'])('streams the %s format\'s calls as delta.tool_calls, and goes on from tool messages', async (provider) => {
      const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'weather?' }];
      const completion = await client.chat.completions.stream({ model: `${provider}/fake:deltas=1,tools=2`, messages, tools }).finalChatCompletion();
      const choice = completion.choices[0]!;
      expect(choice.finish_reason).toBe('tool_calls');
      const toolCalls = choice.message.tool_calls as OpenAI.ChatCompletionMessageFunctionToolCall[];
      expect(toolCalls.map((call) => call.function.name)).toEqual(['weather', 'time']);
      expect(toolCalls.every((call) => call.id.length > 0)).toBe(true);
      const answer = await client.chat.completions.create({
        model: `${provider}/fake:deltas=1`,
        tools,
        messages: [...messages, choice.message as OpenAI.ChatCompletionMessageParam, ...toolCalls.map((call, i) => ({ role: 'tool' as const, tool_call_id: call.id, content: `v${i}` }))],
      });
      expect(answer.choices[0]!.message.content).toBe(echoToolResults(['v0', 'v1']));
    });

    it('answers a non-streaming completion with message.tool_calls', async () => {
      const completion = await client.chat.completions.create({ model: 'openai/fake:deltas=1,tools=1', messages: [{ role: 'user', content: 'weather?' }], tools });
      const choice = completion.choices[0]!;
      expect(choice.finish_reason).toBe('tool_calls');
      expect(choice.message.tool_calls).toEqual([{ id: 'call_fake_0', type: 'function', function: { name: 'weather', arguments: fakeToolCall(0, ['weather'], 'openai').arguments } }]);
      expect(choice.message.content).toBe(replyText(1));
    });

    it('refuses malformed tools and tool messages (400)', async () => {
      const bad = [
        { tools: [{ type: 'function', function: { name: 'bad name' } }] },
        { tool_choice: { type: 'function' } },
        { messages: [{ role: 'tool', content: 'x' }] },
        { messages: [{ role: 'assistant', content: null, tool_calls: [{ id: 'a', type: 'function', function: { name: 'f' } }] }, { role: 'user', content: 'hi' }] },
      ];
      for (const fields of bad) {
        const response = await api
          .http()
          .post('/v1/chat/completions')
          .set('Authorization', `Bearer ${key}`)
          .send({ model: 'openai/fake:deltas=1', messages: [{ role: 'user', content: 'hi' }], ...fields });
        expect(response.status).toBe(400);
      }
    });
  });

  describe('/v1/messages through the official Anthropic SDK', () => {
    it('streams tool_use blocks and goes on from tool_result blocks', async () => {
      const created = await api.http().post('/api/keys').set(user.auth).send({ name: 'anthropic tools client' }).expect(201);
      const client = new Anthropic({ apiKey: created.body.key, baseURL: api.url, maxRetries: 0 });
      const tools = TOOLS.map(({ name, description, parameters }) => ({ name, ...(description && { description }), input_schema: parameters as Anthropic.Tool.InputSchema }));
      const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'weather and time?' }];
      const message = await client.messages.stream({ model: 'openai/fake:deltas=1,tools=2', max_tokens: 100, messages, tools }).finalMessage();
      expect(message.stop_reason).toBe('tool_use');
      const toolUse = message.content.filter((block): block is Anthropic.ToolUseBlock => block.type === 'tool_use');
      expect(toolUse.map(({ id, name, input }) => ({ id, name, arguments: JSON.stringify(input) }))).toEqual([0, 1].map((i) => fakeToolCall(i, ['weather', 'time'], 'openai')));

      const answer = await client.messages.create({
        model: 'openai/fake:deltas=1',
        max_tokens: 100,
        tools,
        messages: [...messages, { role: 'assistant', content: message.content }, { role: 'user', content: toolUse.map((block, i) => ({ type: 'tool_result' as const, tool_use_id: block.id, content: `w${i}` })) }],
      });
      expect(answer.content).toEqual([{ type: 'text', text: echoToolResults(['w0', 'w1']) }]);
      expect(answer.stop_reason).toBe('end_turn');
    });

    it('reads a tool_result whose content parts are not objects as empty text, never a 500', async () => {
      const created = await api.http().post('/api/keys').set(user.auth).send({ name: 'hostile anthropic client' }).expect(201);
      const response = await api
        .http()
        .post('/v1/messages')
        .set('x-api-key', created.body.key)
        .send({
          model: 'openai/fake:deltas=1,id=hostile-result',
          max_tokens: 50,
          messages: [
            { role: 'user', content: 'weather?' },
            { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'weather', input: {} }] },
            { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: [null, 7, { type: 'text', text: 'sunny' }] }] },
          ],
        });
      expect(response.status).toBe(200);
      expect(response.body.content).toEqual([{ type: 'text', text: echoToolResults(['sunny']) }]);
    });
  });
});
