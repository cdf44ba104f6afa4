import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createParser } from 'eventsource-parser';
import {
  deltaText,
  echoToolResults,
  FAKE_GEMINI_SIGNATURE,
  FAKE_TOOL_NAME,
  fakeToolCall,
  FAKE_REDACTED_THINKING,
  FAKE_THINKING_SIGNATURE,
  type FakeLlmServer,
  MAX_RECORDED_TEXT,
  parseBehaviour,
  reasoningText,
  sizedDeltaText,
  startFakeLlm,
} from './fake-llm.server.js';

const PATHS = {
  openai: { path: '/v1/chat/completions', headers: { authorization: 'Bearer k' } },
  anthropic: { path: '/v1/messages', headers: { 'x-api-key': 'k' } },
  gemini: { path: '/v1beta/models/MODEL:streamGenerateContent?alt=sse', headers: { 'x-goog-api-key': 'k' } },
} as const;

describe('fake LLM server', () => {
  let fake: FakeLlmServer;

  const call = (provider: keyof typeof PATHS, model: string, extra: { headers?: Record<string, string>; signal?: AbortSignal; body?: object } = {}) =>
    fetch(fake.url + PATHS[provider].path.replace('MODEL', encodeURIComponent(model)), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...PATHS[provider].headers, ...extra.headers },
      body: JSON.stringify({ model, stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'hi' }], ...extra.body }),
      signal: extra.signal,
    });

  const events = async (response: Response) => {
    const parsed: { event?: string; data: string }[] = [];
    const parser = createParser({ onEvent: (message) => parsed.push({ event: message.event, data: message.data }) });
    parser.feed(await response.text());
    return parsed;
  };

  beforeAll(async () => {
    fake = await startFakeLlm({ port: 0 });
  });
  afterAll(() => fake.close());
  beforeEach(() => fake.reset());

  it('parses knobs from the model name over the defaults', () => {
    expect(parseBehaviour('fake:deltas=3,delay=20,fail=429,retry=2,unknown=1,first=x', { deltas: 9, firstDelayMs: 5 })).toEqual({
      deltas: 3,
      delayMs: 20,
      firstDelayMs: 5,
      failStatus: 429,
      retryAfter: 2,
    });
    expect(parseBehaviour('gpt-4o')).toEqual({ deltas: 8, delayMs: 0, firstDelayMs: 0 });
  });

  it('streams OpenAI chunks, the finish chunk, the usage chunk and [DONE]', async () => {
    const parsed = await events(await call('openai', 'fake:deltas=3'));
    expect(parsed.at(-1)!.data).toBe('[DONE]');
    const chunks = parsed.slice(0, -1).map((e) => JSON.parse(e.data));
    expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: '' });
    expect(chunks.slice(1, 4).map((c) => c.choices[0].delta.content)).toEqual([deltaText(0), deltaText(1), deltaText(2)]);
    expect(chunks[4].choices[0].finish_reason).toBe('stop');
    expect(chunks[5]).toEqual(expect.objectContaining({ choices: [], usage: expect.objectContaining({ completion_tokens: 3 }) }));
  });

  it('streams Anthropic message events in order', async () => {
    const parsed = await events(await call('anthropic', 'fake:deltas=2'));
    expect(parsed.map((e) => e.event)).toEqual([
      'message_start',
      'content_block_start',
      'ping',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(JSON.parse(parsed[6]!.data).usage.output_tokens).toBe(2);
  });

  describe('reasoning', () => {
    const openaiDeltas = async (model: string) =>
      (await events(await call('openai', model))).filter((e) => e.data !== '[DONE]').map((e) => JSON.parse(e.data) as { choices: { delta: Record<string, unknown> }[]; usage?: any });

    it('streams OpenAI reasoning_content, or reasoning, before the content, and counts reasoning tokens', async () => {
      for (const [model, field] of [
        ['fake:deltas=1,reasoning=2', 'reasoning_content'],
        ['fake:deltas=1,reasoning=2,reasoningField=1', 'reasoning'],
      ] as const) {
        const chunks = await openaiDeltas(model);
        expect(chunks.slice(1, 3).map((c) => c.choices[0]!.delta[field]).join('')).toBe(reasoningText(2));
        expect(chunks[3]!.choices[0]!.delta.content).toBe(deltaText(0));
        expect(chunks.at(-1)!.usage).toMatchObject({ completion_tokens: 3, completion_tokens_details: { reasoning_tokens: 2 } });
      }
    });

    it('streams OpenAI <think> tags inside the content, cut across chunks', async () => {
      const content = (await openaiDeltas('fake:deltas=1,reasoning=2,think=1')).map((c) => c.choices[0]?.delta.content ?? '').join('');
      expect(content).toBe(`<think>${reasoningText(2)}</think>\n\n${deltaText(0)}`);
    });

    it('streams an Anthropic thinking block with its signature, a redacted block, then the text block', async () => {
      const parsed = (await events(await call('anthropic', 'fake:deltas=1,reasoning=2,redacted=1'))).map((e) => JSON.parse(e.data));
      expect(parsed.filter((e) => e.type === 'content_block_start').map((e) => [e.index, e.content_block.type])).toEqual([
        [0, 'thinking'],
        [1, 'redacted_thinking'],
        [2, 'text'],
      ]);
      const deltas = parsed.filter((e) => e.type === 'content_block_delta').map((e) => e.delta);
      expect(deltas).toEqual([
        { type: 'thinking_delta', thinking: reasoningText(1) },
        { type: 'thinking_delta', thinking: reasoningText(2).slice(reasoningText(1).length) },
        { type: 'signature_delta', signature: FAKE_THINKING_SIGNATURE },
        { type: 'text_delta', text: deltaText(0) },
      ]);
      expect(parsed.find((e) => e.content_block?.type === 'redacted_thinking').content_block.data).toBe(FAKE_REDACTED_THINKING);
      expect(parsed.find((e) => e.type === 'message_delta').usage.output_tokens).toBe(3);
    });

    it('streams Gemini thought parts before the answer, counting their tokens apart', async () => {
      const parsed = (await events(await call('gemini', 'fake:deltas=1,reasoning=2'))).map((e) => JSON.parse(e.data));
      const parts = parsed.flatMap((c) => c.candidates[0].content.parts as { text: string; thought?: boolean }[]);
      expect(parts.filter((part) => part.thought).map((part) => part.text).join('')).toBe(reasoningText(2));
      expect(parts.find((part) => !part.thought)!.text).toBe(deltaText(0));
      expect(parsed.at(-1).usageMetadata).toMatchObject({ candidatesTokenCount: 1, thoughtsTokenCount: 2 });
    });
  });

  describe('tool calls', () => {
    const openaiChunks = async (model: string, body?: object) =>
      (await events(await call('openai', model, { body }))).filter((e) => e.data !== '[DONE]').map((e) => JSON.parse(e.data));

    it('streams OpenAI tool_calls deltas after the text, arguments over several chunks, naming the tools offered in turn', async () => {
      const tools = ['weather', 'time'].map((name) => ({ type: 'function', function: { name, parameters: { type: 'object' } } }));
      const chunks = await openaiChunks('fake:deltas=1,tools=3', { tools });
      const pieces = chunks.flatMap((c) => (c.choices[0]?.delta.tool_calls ?? []) as { index: number; id?: string; function: { name?: string; arguments: string } }[]);
      expect(pieces.filter((piece) => piece.id).map((piece) => [piece.index, piece.id, piece.function.name])).toEqual([
        [0, 'call_fake_0', 'weather'],
        [1, 'call_fake_1', 'time'],
        [2, 'call_fake_2', 'weather'],
      ]);
      for (const i of [0, 1, 2]) {
        const own = pieces.filter((piece) => piece.index === i);
        expect(own.length).toBeGreaterThan(2);
        expect(own.map((piece) => piece.function.arguments).join('')).toBe(fakeToolCall(i, ['weather', 'time'], 'openai').arguments);
      }
      expect(chunks.findIndex((c) => c.choices[0]?.delta.tool_calls)).toBeGreaterThan(chunks.findIndex((c) => c.choices[0]?.delta.content === deltaText(0)));
      expect(chunks.find((c) => c.choices[0]?.finish_reason)!.choices[0].finish_reason).toBe('tool_calls');
      expect(fakeToolCall(0, [], 'openai').name).toBe(FAKE_TOOL_NAME);
    });

    it('answers an OpenAI request that ends with tool results with their contents, and records what it was sent', async () => {
      const messages = [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'a', type: 'function', function: { name: 'f', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'a', content: 'rain' },
        { role: 'tool', tool_call_id: 'b', content: 'sun' },
      ];
      const chunks = await openaiChunks('fake:tools=2,id=echo', { messages });
      expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe(echoToolResults(['rain', 'sun']));
      expect(chunks.some((c) => c.choices[0]?.delta.tool_calls)).toBe(false);
      expect(fake.lastRequest('fake:tools=2,id=echo')!.body.messages).toEqual(messages);
      expect(fake.lastRequest('fake:other')).toBeUndefined();
    });
    it('streams Anthropic tool_use blocks after the text block, input in input_json_delta pieces, and stops for tool_use', async () => {
      const parsed = (await events(await call('anthropic', 'fake:deltas=1,tools=2', { body: { tools: [{ name: 'weather', input_schema: {} }] } }))).map((e) =>
        JSON.parse(e.data),
      );
      expect(parsed.filter((e) => e.type === 'content_block_start').map((e) => [e.index, e.content_block])).toEqual([
        [0, { type: 'text', text: '' }],
        [1, { type: 'tool_use', id: 'toolu_fake_0', name: 'weather', input: {} }],
        [2, { type: 'tool_use', id: 'toolu_fake_1', name: 'weather', input: {} }],
      ]);
      for (const i of [0, 1]) {
        const json = parsed.filter((e) => e.index === i + 1 && e.delta?.type === 'input_json_delta').map((e) => e.delta.partial_json as string);
        expect(json.length).toBeGreaterThan(2);
        expect(json.join('')).toBe(fakeToolCall(i, ['weather'], 'anthropic').arguments);
      }
      expect(parsed.filter((e) => e.type === 'content_block_stop').map((e) => e.index)).toEqual([0, 1, 2]);
      expect(parsed.find((e) => e.type === 'message_delta').delta.stop_reason).toBe('tool_use');
    });

    it('answers an Anthropic request that ends with tool_result blocks with their contents', async () => {
      const messages = [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'a', name: 'f', input: {} }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'a', content: 'rain' }, { type: 'tool_result', tool_use_id: 'b', content: [{ type: 'text', text: 'sun' }] }] },
      ];
      const parsed = (await events(await call('anthropic', 'fake:tools=1', { body: { messages } }))).map((e) => JSON.parse(e.data));
      expect(parsed.filter((e) => e.delta?.type === 'text_delta').map((e) => e.delta.text).join('')).toBe(echoToolResults(['rain', 'sun']));
      expect(parsed.find((e) => e.type === 'message_delta').delta.stop_reason).toBe('end_turn');
    });
    it('streams Gemini functionCall parts whole after the text, the first signed, then STOP', async () => {
      const body = { tools: [{ functionDeclarations: [{ name: 'weather' }, { name: 'time' }] }] };
      const parsed = (await events(await call('gemini', 'fake:deltas=1,tools=2', { body }))).map((e) => JSON.parse(e.data));
      const parts = parsed.flatMap((c) => c.candidates[0].content.parts as Record<string, any>[]);
      expect(parts[0]!.text).toBe(deltaText(0));
      expect(parts.filter((part) => part.functionCall)).toEqual([
        { functionCall: { name: 'weather', args: JSON.parse(fakeToolCall(0, [], 'gemini').arguments) }, thoughtSignature: FAKE_GEMINI_SIGNATURE },
        { functionCall: { name: 'time', args: JSON.parse(fakeToolCall(1, [], 'gemini').arguments) } },
      ]);
      expect(parsed.at(-1).candidates[0].finishReason).toBe('STOP');
    });

    it('answers a Gemini request that ends with functionResponse parts with their contents', async () => {
      const contents = [
        { role: 'user', parts: [{ text: 'hi' }] },
        { role: 'model', parts: [{ functionCall: { name: 'f', args: {} } }] },
        { role: 'user', parts: [{ functionResponse: { name: 'f', response: { content: 'rain' } } }, { functionResponse: { name: 'g', response: { sky: 'grey' } } }] },
      ];
      const parsed = (await events(await call('gemini', 'fake:tools=1', { body: { contents } }))).map((e) => JSON.parse(e.data));
      const parts = parsed.flatMap((c) => c.candidates[0].content.parts as Record<string, any>[]);
      expect(parts.map((part) => part.text ?? '').join('')).toBe(echoToolResults(['rain', '{"sky":"grey"}']));
      expect(parts.some((part) => part.functionCall)).toBe(false);
    });
  });

  it('streams Gemini candidates and finishes with usage metadata', async () => {
    const parsed = (await events(await call('gemini', 'fake:deltas=2'))).map((e) => JSON.parse(e.data));
    expect(parsed.map((c) => c.candidates[0].content.parts[0].text).join('')).toBe(deltaText(0) + deltaText(1));
    expect(parsed.at(-1)).toEqual(expect.objectContaining({ usageMetadata: expect.objectContaining({ candidatesTokenCount: 2 }) }));
    expect(parsed.at(-1).candidates[0].finishReason).toBe('STOP');
    expect(fake.requests[0]!.model).toBe('fake:deltas=2');
  });

  it.each([
    ['openai', 401, { error: expect.objectContaining({ code: 'invalid_api_key' }) }],
    ['anthropic', 429, { type: 'error', error: expect.objectContaining({ type: 'rate_limit_error' }) }],
    ['gemini', 500, { error: expect.objectContaining({ code: 500, status: 'INTERNAL' }) }],
  ] as const)('fails %s with status %s in its own error shape', async (provider, status, body) => {
    const response = await call(provider, `fake:fail=${status},retry=4`);
    expect(response.status).toBe(status);
    expect(response.headers.get('retry-after')).toBe('4');
    expect(await response.json()).toEqual(body);
  });

  it('refuses a request without a key', async () => {
    const response = await call('anthropic', 'fake', { headers: { 'x-api-key': '' } });
    expect(response.status).toBe(401);
  });

  it('breaks the connection mid-stream and stops without the end marker on request', async () => {
    await expect(call('openai', 'fake:deltas=5,break=2').then((r) => r.text())).rejects.toThrow();
    const stopped = await events(await call('openai', 'fake:deltas=5,stop=2'));
    expect(stopped.map((e) => e.data)).not.toContain('[DONE]');
    expect(fake.requests[1]!.deltasWritten).toBe(2);
  });

  it('records a client that gives up on a hung or slow request', async () => {
    const controller = new AbortController();
    const hung = call('openai', 'fake:hang=1', { signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    await expect(hung).rejects.toThrow();
    await fake.requests[0]!.closed;
    expect(fake.requests[0]!.closedEarly).toBe(true);

    const slow = new AbortController();
    const response = await call('openai', 'fake:deltas=100,delay=20', { signal: slow.signal });
    const reader = response.body!.getReader();
    await reader.read();
    slow.abort();
    await fake.requests[1]!.closed;
    expect(fake.requests[1]!.closedEarly).toBe(true);
    expect(fake.requests[1]!.deltasWritten).toBeLessThan(100);
  });

  /** Reads a stream until `bytes` have arrived, then leaves: what a client that cuts off a hostile provider does. */
  const readUpTo = async (response: Response, bytes: number) => {
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    while (text.length < bytes) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    await reader.cancel();
    return text;
  };

  it('sends deltas of a set size, in bursts, without end', async () => {
    const response = await call('openai', 'fake:endless=1,size=65536,burst=4,delay=20');
    const text = await readUpTo(response, 3_000_000);
    const contents = (await events(new Response(text.slice(0, text.lastIndexOf('\n\n') + 2))))
      .slice(1)
      .map((event) => JSON.parse(event.data).choices[0].delta.content as string);
    expect(contents.length).toBeGreaterThan(40);
    contents.forEach((content, i) => expect(content).toBe(sizedDeltaText(i, 65536)));
    await fake.requests[0]!.closed;
    expect(fake.requests[0]!.closedEarly).toBe(true);
    // The record keeps a bounded prefix of an endless reply.
    expect(fake.requests[0]!.text).toHaveLength(MAX_RECORDED_TEXT);
    expect(sizedDeltaText(1, 8)).toBe(`${deltaText(1)}qu`);
  });

  it.each(['openai', 'anthropic', 'gemini'] as const)('sends one huge event that never ends in the %s format', async (provider) => {
    const response = await call(provider, 'fake:huge=52428800');
    const text = await readUpTo(response, 4 * 1024 * 1024);
    // The head's events, then a content delta's opening followed by nothing but filler (compared by length: megabytes).
    // A loop, not /x+$/: a regex over megabytes of one character can exhaust the stack (seen on Node 24).
    let end = text.length;
    while (end > 0 && text.charCodeAt(end - 1) === 0x78) end -= 1;
    const opening = text.slice(0, end);
    expect(text.length - opening.length).toBeGreaterThan(4 * 1024 * 1024 - 2000);
    expect(opening).toMatch(provider === 'openai' ? /\n\ndata: {[^\n]*"content":"$/ : /(^|\n\n)(event: content_block_delta\n)?data: {[^\n]*"text":"$/);
    await fake.requests[0]!.closed;
    expect(fake.requests[0]!.closedEarly).toBe(true);
    expect(fake.requests[0]!.bytesWritten).toBeLessThan(52428800);
  });
});
