import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import OpenAI from 'openai';
import { type FakeLlmServer, reasoningText, replyText, startFakeLlm } from '../apps/fake-llm/src/fake-llm.server.js';
import { configureFakeProvider, FAKE_UPSTREAM_ENV } from './factories/provider.factory.js';
import { registerUser, type TestUser } from './factories/user.factory.js';
import { bootTestApp, type TestApp } from './helpers/test-app.js';


describe("OpenAI's Responses API with personal API keys, through the official openai SDK (e2e)", () => {
  let api: TestApp;
  let fake: FakeLlmServer;
  let user: TestUser;
  let client: OpenAI;

  const keyFor = async (owner: TestUser) => (await api.http().post('/api/keys').set(owner.auth).send({ name: 'responses' }).expect(201)).body.key as string;
  const sessionCount = async () => (await api.http().get('/api/chat/sessions?limit=100').set(user.auth).expect(200)).body.sessions.length as number;

  beforeAll(async () => {
    fake = await startFakeLlm({ port: 0 });
    api = await bootTestApp(FAKE_UPSTREAM_ENV);
    user = await registerUser(api);
    await configureFakeProvider(api, user, 'openai', fake.url);
    client = new OpenAI({ apiKey: await keyFor(user), baseURL: `${api.url}/v1`, maxRetries: 0 });
  });
  afterAll(async () => {
    await api?.close();
    await fake?.close();
  });
  beforeEach(() => fake.reset());

  it('creates a response, then streams one that continues it with previous_response_id, in the same recorded session', async () => {
    const first = await client.responses.create({ model: 'openai/fake:deltas=4', input: 'Hello responses', instructions: 'Be brief.', metadata: { ticket: '42' } });
    expect(first).toEqual(expect.objectContaining({ object: 'response', status: 'completed', model: 'openai/fake:deltas=4', store: true, previous_response_id: null }));
    expect(first.output_text).toBe(replyText(4));
    expect(first.usage?.output_tokens).toBe(4);
    expect(fake.requests[0]!.body.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hello responses' },
    ]);

    const stream = client.responses.stream({ model: 'openai/fake:deltas=3', input: [{ role: 'user', content: [{ type: 'input_text', text: 'And then?' }] }], previous_response_id: first.id });
    const deltas: string[] = [];
    stream.on('response.output_text.delta', (event) => deltas.push(event.delta));
    const second = await stream.finalResponse();
    expect(deltas.join('')).toBe(replyText(3));
    expect(second.output_text).toBe(replyText(3));
    expect(second.previous_response_id).toBe(first.id);
    // Instructions are not carried over; the recorded conversation is.
    expect(fake.requests[1]!.body.messages).toEqual([
      { role: 'user', content: 'Hello responses' },
      { role: 'assistant', content: replyText(4) },
      { role: 'user', content: 'And then?' },
    ]);
    const sessionId = /^resp_([0-9a-f-]{36})_/.exec(second.id)![1];
    expect(/^resp_([0-9a-f-]{36})_/.exec(first.id)![1]).toBe(sessionId);
    const saved = await api.http().get(`/api/chat/sessions/${sessionId}/messages`).set(user.auth).expect(200);
    expect(saved.body.messages.map((m: { role: string; content: string }) => [m.role, m.content])).toEqual([
      ['user', 'Hello responses'],
      ['assistant', replyText(4)],
      ['user', 'And then?'],
      ['assistant', replyText(3)],
    ]);
  });

  it('streams reasoning as a reasoning item with summary text before the message, counts reasoning tokens, and maps reasoning.effort', async () => {
    const stream = client.responses.stream({ model: 'openai/fake:deltas=3,reasoning=4', input: 'Think first', reasoning: { effort: 'high', summary: 'auto' } });
    const types: string[] = [];
    const summary: string[] = [];
    stream.on('event', (event) => types.push(event.type));
    stream.on('response.reasoning_summary_text.delta', (event) => summary.push(event.delta));
    const final = await stream.finalResponse();
    expect(fake.requests.at(-1)!.body.reasoning_effort).toBe('high');
    expect(summary.join('')).toBe(reasoningText(4));
    expect([...new Set(types)]).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.reasoning_summary_part.added',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.done',
      'response.reasoning_summary_part.done',
      'response.output_item.done',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.completed',
    ]);
    const [reasoning, message] = final.output;
    expect(reasoning).toEqual({ type: 'reasoning', id: expect.stringMatching(/^rs_/), summary: [{ type: 'summary_text', text: reasoningText(4) }] });
    expect(message).toEqual(expect.objectContaining({ type: 'message', id: expect.stringMatching(/^msg_/), content: [expect.objectContaining({ type: 'output_text', text: replyText(3) })] }));
    expect(final.output_text).toBe(replyText(3));
    expect(final.usage).toEqual(expect.objectContaining({ output_tokens: 7, output_tokens_details: { reasoning_tokens: 4 } }));

    const created = await client.responses.create({ model: 'openai/fake:deltas=2,reasoning=3', input: 'Think again' });
    expect(created.output.map((item) => item.type)).toEqual(['reasoning', 'message']);
    expect(created.output[0]).toEqual(expect.objectContaining({ summary: [{ type: 'summary_text', text: reasoningText(3) }] }));
    expect(created.output_text).toBe(replyText(2));
    expect(created.usage?.output_tokens_details.reasoning_tokens).toBe(3);

    const plain = await client.responses.create({ model: 'openai/fake:deltas=2', input: 'No thinking' });
    expect(plain.output.map((item) => item.type)).toEqual(['message']);
    await expect(client.responses.create({ model: 'openai/fake', input: 'x', reasoning: { effort: 'enormous' as never } })).rejects.toMatchObject({ status: 400 });
  });

  it('records nothing with store: false, and such a response cannot be continued', async () => {
    const before = await sessionCount();
    const unstored = await client.responses.create({ model: 'openai/fake:deltas=2', input: 'off the record', store: false });
    expect(unstored.output_text).toBe(replyText(2));
    expect(unstored).toEqual(expect.objectContaining({ store: false }));
    expect(await sessionCount()).toBe(before);
    await expect(client.responses.create({ model: 'openai/fake', input: 'more', previous_response_id: unstored.id })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it("refuses another user's response id as not found", async () => {
    const mine = await client.responses.create({ model: 'openai/fake:deltas=1', input: 'mine' });
    const other = await registerUser(api);
    const stranger = new OpenAI({ apiKey: await keyFor(other), baseURL: `${api.url}/v1`, maxRetries: 0 });
    await expect(stranger.responses.create({ model: 'echo/echo-1', input: 'yours?', previous_response_id: mine.id })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    expect(fake.requests).toHaveLength(1);
  });

  it("maps errors to the SDK's error classes, in OpenAI's shape", async () => {
    const invalid = [
      { model: 'openai/fake', input: 42 },
      { model: 'openai/fake', input: [] },
      { model: 'openai/fake', input: [{ type: 'function_call_output', call_id: 'c1', output: 'x' }] },
      { model: 'openai/fake', input: 'x', previous_response_id: 'resp_nope' },
      { model: 'openai/fake', input: [{ role: 'assistant', content: 'no question' }] },
    ];
    for (const body of invalid) {
      await expect(client.responses.create(body as unknown as OpenAI.Responses.ResponseCreateParamsNonStreaming)).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    }
    await expect(client.responses.create({ model: 'openai/fake:fail=429', input: 'x' })).rejects.toBeInstanceOf(OpenAI.RateLimitError);
    const failing = await client.responses.create({ model: 'openai/fake:fail=500', input: 'x', stream: true });
    await expect((async () => {
      for await (const event of failing) void event;
    })()).rejects.toBeInstanceOf(OpenAI.APIError);
    expect(fake.requests.length).toBeGreaterThan(0);
  });
});
