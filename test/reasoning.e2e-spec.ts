import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import Anthropic from '@anthropic-ai/sdk';
import { DefaultChatTransport, readUIMessageStream, type UIMessage } from 'ai';
import OpenAI from 'openai';
import {
  FAKE_REDACTED_THINKING,
  FAKE_THINKING_SIGNATURE,
  type FakeLlmServer,
  reasoningText,
  replyText,
  startFakeLlm,
} from '../apps/fake-llm/src/fake-llm.server.js';
import { configureFakeProvider, FAKE_UPSTREAM_ENV } from './factories/provider.factory.js';
import { registerUser, type TestUser } from './factories/user.factory.js';
import { eventNames, readStream, type StreamResult } from './helpers/sse-client.js';
import { bootTestApp, type TestApp } from './helpers/test-app.js';

const reasoningOf = (result: StreamResult) =>
  result.events
    .filter((event) => event.event === 'reasoning')
    .map((event) => event.data.content as string)
    .join('');

/** Every text a request to the fake upstream carried in its conversation, whatever the wire format. */
const sentTexts = (body: any): string => JSON.stringify(body.messages ?? body.contents);

describe('reasoning: streamed apart, saved as parts, never sent back (e2e)', () => {
  let api: TestApp;
  let fake: FakeLlmServer;
  let user: TestUser;
  const stream = (body: Record<string, unknown>) => readStream(`${api.url}/api/chat/stream`, { token: user.token, body });
  const messagesOf = async (sessionId: string) => (await api.http().get(`/api/chat/sessions/${sessionId}/messages`).set(user.auth).expect(200)).body.messages;

  beforeAll(async () => {
    fake = await startFakeLlm({ port: 0 });
    api = await bootTestApp(FAKE_UPSTREAM_ENV);
    user = await registerUser(api);
    for (const provider of ['openai', 'anthropic', 'gemini'] as const) await configureFakeProvider(api, user, provider, fake.url);
  });
  afterAll(async () => {
    await api?.close();
    await fake?.close();
  });
  beforeEach(() => fake.reset());

  it.each([
    ['openai', 'fake:deltas=3,reasoning=4', 'reasoning_content'],
    ['openai', 'fake:deltas=3,reasoning=4,reasoningField=1', 'reasoning'],
    ['openai', 'fake:deltas=3,reasoning=4,think=1', '<think> in the content'],
    ['anthropic', 'fake:deltas=3,reasoning=4', 'thinking blocks'],
    ['gemini', 'fake:deltas=3,reasoning=4', 'thought parts'],
  ] as const)('%s (%s, %s): reasoning events before the text, saved as a part apart from the content', async (provider, model, _form) => {
    const result = await stream({ message: 'Why?', provider, model });
    const names = eventNames(result);
    expect(names[0]).toBe('session');
    expect(names.at(-1)).toBe('done');
    expect(names.lastIndexOf('reasoning')).toBeLessThan(names.indexOf('message'));
    expect(reasoningOf(result)).toBe(reasoningText(4));
    expect(result.text).toBe(replyText(3));

    const reply = (await messagesOf(result.events[0]!.data.sessionId)).at(-1);
    expect(reply.content).toBe(replyText(3));
    const reasoning = { type: 'reasoning', text: reasoningText(4), ...(provider === 'anthropic' && { metadata: { signature: FAKE_THINKING_SIGNATURE } }) };
    expect(reply.parts).toEqual([reasoning, { type: 'text', text: replyText(3) }]);
  });

  it('counts reasoning tokens in the usage where the provider reports them', async () => {
    for (const provider of ['openai', 'gemini'] as const) {
      const result = await stream({ message: 'Count', provider, model: 'fake:deltas=3,reasoning=4' });
      expect(result.events.at(-1)!.data.usage).toEqual({ promptTokens: expect.any(Number), completionTokens: 7, reasoningTokens: 4 });
    }
  });

  it('saves an Anthropic redacted_thinking block as a part of its own, with its data', async () => {
    const result = await stream({ message: 'Secret?', provider: 'anthropic', model: 'fake:deltas=2,reasoning=2,redacted=1' });
    expect(reasoningOf(result)).toBe(reasoningText(2));
    const [, reply] = await messagesOf(result.events[0]!.data.sessionId);
    expect(reply.parts).toEqual([
      { type: 'reasoning', text: reasoningText(2), metadata: { signature: FAKE_THINKING_SIGNATURE } },
      { type: 'reasoning', text: '', metadata: { redactedData: FAKE_REDACTED_THINKING } },
      { type: 'text', text: replyText(2) },
    ]);
  });

  it("exports the owner's reasoning with its provider data, shows it folded in Markdown, and shares its text only", async () => {
    const result = await stream({ message: 'Secret?', provider: 'anthropic', model: 'fake:deltas=2,reasoning=2,redacted=1' });
    const sessionId = result.events[0]!.data.sessionId as string;
    const exported = JSON.parse((await api.http().get(`/api/chat/sessions/${sessionId}/export?format=json`).set(user.auth).expect(200)).text);
    expect(exported.messages[1].parts).toEqual([
      { type: 'reasoning', text: reasoningText(2), metadata: { signature: FAKE_THINKING_SIGNATURE } },
      { type: 'reasoning', text: '', metadata: { redactedData: FAKE_REDACTED_THINKING } },
      { type: 'text', text: replyText(2) },
    ]);
    const markdown = (await api.http().get(`/api/chat/sessions/${sessionId}/export?format=markdown`).set(user.auth).expect(200)).text;
    expect(markdown).toContain(`<details>\n<summary>Reasoning</summary>\n\n> ${reasoningText(2)}\n\n</details>\n\n_Reasoning redacted by the provider._\n\n${replyText(2)}`);
    expect(markdown).not.toContain(FAKE_THINKING_SIGNATURE);

    // Imported back, the reasoning is text alone: a file cannot hand the provider a signature or redacted data.
    const copy = (await api.http().post('/api/chat/import').set(user.auth).send(exported).expect(201)).body.sessions[0].id;
    expect((await messagesOf(copy))[1].parts).toEqual([{ type: 'reasoning', text: reasoningText(2) }, { type: 'text', text: replyText(2) }]);

    const shared = (await api.http().post(`/api/chat/sessions/${sessionId}/share`).set(user.auth).send({}).expect(201)).body;
    const read = (await api.http().get(shared.url).expect(200)).body;
    expect(read.messages[1]).toEqual(expect.objectContaining({ content: replyText(2), parts: [{ type: 'reasoning', text: reasoningText(2) }, { type: 'text', text: replyText(2) }] }));
    expect(JSON.stringify(read)).not.toMatch(new RegExp(`${FAKE_THINKING_SIGNATURE}|${FAKE_REDACTED_THINKING}|metadata`));
  });

  it.each(['openai', 'anthropic', 'gemini'] as const)('%s: the next turn sends the answer back without its reasoning', async (provider) => {
    const first = await stream({ message: 'First', provider, model: 'fake:deltas=3,reasoning=4,redacted=1' });
    const sessionId = first.events[0]!.data.sessionId as string;
    await stream({ message: 'Second', sessionId, model: 'fake:deltas=2' });
    const sent = fake.requests.at(-1)!.body;
    expect(sentTexts(sent)).toContain(replyText(3).trim());
    expect(sentTexts(sent)).not.toContain('Thinking');
    expect(sentTexts(sent)).not.toContain(FAKE_THINKING_SIGNATURE);
    expect(sentTexts(sent)).not.toContain(FAKE_REDACTED_THINKING);
    expect(sentTexts(sent)).not.toMatch(/thinking|thought|reasoning/);
  });

  it("maps the request's reasoning option to each provider's parameter", async () => {
    await stream({ message: 'Effort', provider: 'openai', model: 'fake:deltas=1', reasoning: { effort: 'medium' } });
    expect(fake.requests.at(-1)!.body.reasoning_effort).toBe('medium');

    await stream({ message: 'Budget', provider: 'anthropic', model: 'fake:deltas=1', temperature: 0.3, reasoning: { budgetTokens: 3000 } });
    const anthropic = fake.requests.at(-1)!.body;
    expect(anthropic.thinking).toEqual({ type: 'enabled', budget_tokens: 3000 });
    expect(anthropic.max_tokens).toBeGreaterThan(3000);
    expect(anthropic).not.toHaveProperty('temperature');

    await stream({ message: 'Thoughts', provider: 'gemini', model: 'fake:deltas=1', reasoning: { effort: 'high' } });
    expect(fake.requests.at(-1)!.body.generationConfig.thinkingConfig).toEqual({ thinkingBudget: 24_576, includeThoughts: true });
  });

  it('refuses a malformed reasoning option with 400 before any stream', async () => {
    for (const reasoning of [{ effort: 'max' }, { budgetTokens: -1 }, { budgetTokens: 10_000_000 }, 'high']) {
      const result = await stream({ message: 'Bad', provider: 'openai', model: 'fake:deltas=1', reasoning });
      expect(result.status).toBe(400);
    }
    expect(fake.requests).toHaveLength(0);
  });

  it('keeps a plain reply as one text part (parts null in the row)', async () => {
    const result = await stream({ message: 'Plain', provider: 'openai', model: 'fake:deltas=2' });
    const messages = await messagesOf(result.events[0]!.data.sessionId);
    expect(messages.map((message: { parts: unknown }) => message.parts)).toEqual([[{ type: 'text', text: 'Plain' }], [{ type: 'text', text: replyText(2) }]]);
  });

  it('streams reasoning parts before the text part in the UI message stream', async () => {
    const transport = new DefaultChatTransport({ api: `${api.url}/api/ui/chat`, headers: user.auth, body: { provider: 'openai', model: 'fake:deltas=2,reasoning=3' } });
    const chunks = await transport.sendMessages({
      chatId: 'reasoning-ui',
      messages: [{ id: 'u1', role: 'user', parts: [{ type: 'text', text: 'Think' }] }],
      trigger: 'submit-message',
      messageId: undefined,
      abortSignal: undefined,
    });
    let message: UIMessage | undefined;
    for await (const assembled of readUIMessageStream({ stream: chunks, terminateOnError: true })) message = assembled;
    expect(message!.parts.filter((part) => part.type === 'reasoning' || part.type === 'text').map((part) => [part.type, 'text' in part ? part.text : ''])).toEqual([
      ['reasoning', reasoningText(3)],
      ['text', replyText(2)],
    ]);
  });

  describe('/v1/chat/completions through the official openai SDK, /v1/messages through the anthropic SDK', () => {
    let client: OpenAI;
    let anthropic: Anthropic;
    beforeAll(async () => {
      const created = await api.http().post('/api/keys').set(user.auth).send({ name: 'reasoning client' }).expect(201);
      client = new OpenAI({ apiKey: created.body.key, baseURL: `${api.url}/v1`, maxRetries: 0 });
      anthropic = new Anthropic({ apiKey: created.body.key, baseURL: api.url, maxRetries: 0 });
    });

    it('streams thinking blocks (signed, redacted) before the text on /v1/messages, and maps thinking to the budget', async () => {
      const stream = anthropic.messages.stream({
        model: 'anthropic/fake:deltas=2,reasoning=3,redacted=1',
        max_tokens: 5000,
        thinking: { type: 'enabled', budget_tokens: 2048 },
        messages: [{ role: 'user', content: 'Think' }],
      });
      const final = await stream.finalMessage();
      expect(final.content).toEqual([
        { type: 'thinking', thinking: reasoningText(3), signature: FAKE_THINKING_SIGNATURE },
        { type: 'redacted_thinking', data: FAKE_REDACTED_THINKING },
        expect.objectContaining({ type: 'text', text: replyText(2) }),
      ]);
      const sent = fake.requests.at(-1)!.body;
      expect([sent.thinking, sent.max_tokens]).toEqual([{ type: 'enabled', budget_tokens: 2048 }, 5000]);

      const fromOpenAi = await anthropic.messages.stream({ model: 'openai/fake:deltas=1,reasoning=2', max_tokens: 100, messages: [{ role: 'user', content: 'Think' }] }).finalMessage();
      expect(fromOpenAi.content.map((block) => block.type)).toEqual(['thinking', 'text']);
      await expect(
        anthropic.messages.create({ model: 'openai/fake', max_tokens: 1000, thinking: { type: 'enabled', budget_tokens: 1024 }, messages: [{ role: 'user', content: 'x' }] }),
      ).rejects.toBeInstanceOf(Anthropic.BadRequestError);
    });

    it('answers non-streaming /v1/messages with the thinking blocks (signed, redacted) before the text, as Anthropic does', async () => {
      const message = await anthropic.messages.create({
        model: 'anthropic/fake:deltas=2,reasoning=3,redacted=1',
        max_tokens: 5000,
        thinking: { type: 'enabled', budget_tokens: 2048 },
        messages: [{ role: 'user', content: 'Think' }],
      });
      expect(message.content).toEqual([
        { type: 'thinking', thinking: reasoningText(3), signature: FAKE_THINKING_SIGNATURE },
        { type: 'redacted_thinking', data: FAKE_REDACTED_THINKING },
        { type: 'text', text: replyText(2) },
      ]);
      // A provider that signs nothing: the thinking block's signature is empty, as the streamed block's is.
      const fromOpenAi = await anthropic.messages.create({ model: 'openai/fake:deltas=1,reasoning=2', max_tokens: 100, messages: [{ role: 'user', content: 'Think' }] });
      expect(fromOpenAi.content).toEqual([{ type: 'thinking', thinking: reasoningText(2), signature: '' }, { type: 'text', text: replyText(1) }]);
      const plain = await anthropic.messages.create({ model: 'anthropic/fake:deltas=1', max_tokens: 100, messages: [{ role: 'user', content: 'Plain' }] });
      expect(plain.content).toEqual([{ type: 'text', text: replyText(1) }]);
    });

    it('streams reasoning as delta.reasoning_content, takes reasoning_effort, reports reasoning tokens', async () => {
      const stream = await client.chat.completions.create({
        model: 'openai/fake:deltas=3,reasoning=4',
        messages: [{ role: 'user', content: 'Think first' }],
        stream: true,
        stream_options: { include_usage: true },
        reasoning_effort: 'low',
      });
      let reasoning = '';
      let content = '';
      let usage: OpenAI.CompletionUsage | null | undefined;
      for await (const chunk of stream) {
        const delta = chunk.choices[0]?.delta as { content?: string | null; reasoning_content?: string } | undefined;
        if (delta?.reasoning_content) {
          expect(content).toBe('');
          reasoning += delta.reasoning_content;
        }
        content += delta?.content ?? '';
        usage = chunk.usage ?? usage;
      }
      expect(reasoning).toBe(reasoningText(4));
      expect(content).toBe(replyText(3));
      expect(usage?.completion_tokens_details?.reasoning_tokens).toBe(4);
      expect(fake.requests.at(-1)!.body.reasoning_effort).toBe('low');
    });

    it('answers non-streaming with message.reasoning_content', async () => {
      const completion = await client.chat.completions.create({ model: 'gemini/fake:deltas=2,reasoning=2', messages: [{ role: 'user', content: 'Think' }] });
      const message = completion.choices[0]!.message as OpenAI.ChatCompletionMessage & { reasoning_content?: string };
      expect(message.content).toBe(replyText(2));
      expect(message.reasoning_content).toBe(reasoningText(2));
      expect(completion.usage?.completion_tokens_details?.reasoning_tokens).toBe(2);
    });

    it('refuses an unknown reasoning_effort with 400', async () => {
      await expect(
        client.chat.completions.create({ model: 'openai/fake:deltas=1', messages: [{ role: 'user', content: 'x' }], reasoning_effort: 'extreme' as 'low' }),
      ).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    });
  });
});
