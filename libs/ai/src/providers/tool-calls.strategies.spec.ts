import { describe, expect, it } from '@jest/globals';
import { type ChatDelta, TOOL_CALLS_FINISH } from '../chat-provider.interface.js';
import { AnthropicStrategy } from './anthropic.strategy.js';
import { runCanned as run } from './canned-upstream.testing.js';
import { SKIP_THOUGHT_SIGNATURE } from './gemini.messages.js';
import { GeminiStrategy } from './gemini.strategy.js';
import { OpenAiStrategy } from './openai.strategy.js';
import { MAX_TOOL_CALLS_PER_REPLY } from './tool-calls.js';

const pieces = (deltas: ChatDelta[]) => deltas.filter((delta) => delta.type === 'tool_call');
const finish = (deltas: ChatDelta[]) => deltas.find((delta) => delta.type === 'finish');

describe('OpenAiStrategy tool calls', () => {
  const chunk = (delta: object, finishReason: string | null = null) => ({ choices: [{ index: 0, delta, finish_reason: finishReason }] });
  const piece = (index: number | undefined, fields: { id?: string; name?: string; arguments?: string }) => ({
    ...(index !== undefined && { index }),
    ...(fields.id && { id: fields.id, type: 'function' }),
    function: { ...(fields.name && { name: fields.name }), ...(fields.arguments !== undefined && { arguments: fields.arguments }) },
  });

  it('passes each piece on as it comes, the first with id and name, and finishes with tool_calls', async () => {
    const { deltas } = await run(OpenAiStrategy, [
      chunk({ content: 'Looking.' }),
      chunk({ tool_calls: [piece(0, { id: 'call_a', name: 'weather', arguments: '' })] }),
      chunk({ tool_calls: [piece(0, { arguments: '{"city":' })] }),
      chunk({ tool_calls: [piece(0, { arguments: '"Oslo"}' })] }),
      chunk({ tool_calls: [piece(1, { id: 'call_b', name: 'time', arguments: '{}' })] }),
      chunk({}, 'tool_calls'),
      '[DONE]',
    ]);
    expect(pieces(deltas)).toEqual([
      { type: 'tool_call', index: 0, id: 'call_a', name: 'weather', arguments: '' },
      { type: 'tool_call', index: 0, arguments: '{"city":' },
      { type: 'tool_call', index: 0, arguments: '"Oslo"}' },
      { type: 'tool_call', index: 1, id: 'call_b', name: 'time', arguments: '{}' },
    ]);
    expect(deltas[0]).toEqual({ type: 'text', text: 'Looking.' });
    expect(finish(deltas)).toEqual({ type: 'finish', reason: TOOL_CALLS_FINISH });
  });

  it('numbers calls that a server sends all under index 0 (Ollama) or without an index, and keeps a repeated id in its call', async () => {
    const { deltas } = await run(OpenAiStrategy, [
      chunk({ tool_calls: [piece(0, { id: 'a', name: 'one', arguments: '{}' })] }),
      chunk({ tool_calls: [piece(0, { id: 'a', arguments: '' })] }),
      chunk({ tool_calls: [piece(0, { id: 'b', name: 'two', arguments: '{}' })] }),
      chunk({ tool_calls: [piece(undefined, { id: 'c', name: 'three', arguments: '{}' }), piece(undefined, { id: 'd', name: 'four', arguments: '{}' })] }),
      chunk({}, 'stop'),
      '[DONE]',
    ]);
    expect(pieces(deltas).map((delta) => [delta.index, delta.name])).toEqual([
      [0, 'one'],
      [1, 'two'],
      [2, 'three'],
      [3, 'four'],
    ]);
    // A compatible server that ends a reply of calls with `stop` still ends it with tool_calls.
    expect(finish(deltas)).toMatchObject({ reason: TOOL_CALLS_FINISH });
  });

  it('keeps other finish reasons, and `stop` when no call was made', async () => {
    const cut = await run(OpenAiStrategy, [chunk({ tool_calls: [piece(0, { id: 'a', name: 'one', arguments: '{"x' })] }), chunk({}, 'length'), '[DONE]']);
    expect(finish(cut.deltas)).toMatchObject({ reason: 'length' });
    expect(finish((await run(OpenAiStrategy, [chunk({ content: 'Hi' }), chunk({}, 'stop'), '[DONE]'])).deltas)).toMatchObject({ reason: 'stop' });
  });

  it('fails a reply with more calls than any model makes', async () => {
    const many = Array.from({ length: MAX_TOOL_CALLS_PER_REPLY + 1 }, (_, i) => chunk({ tool_calls: [piece(i, { id: `c${i}`, name: 'n', arguments: '{}' })] }));
    await expect(run(OpenAiStrategy, [...many, chunk({}, 'tool_calls'), '[DONE]'])).rejects.toMatchObject({ code: 'upstream_error' });
  });

  it('sends tools, the choice and the history in OpenAI form', async () => {
    const { body } = await run(OpenAiStrategy, ['[DONE]'], {
      tools: [{ name: 'weather', parameters: { type: 'object' } }],
      toolChoice: { name: 'weather' },
      parallelToolCalls: false,
      messages: [
        { role: 'user', content: 'Weather?' },
        { role: 'assistant', content: '', toolCalls: [{ id: 'call_a', name: 'weather', arguments: '{}' }] },
        { role: 'tool', toolCallId: 'call_a', content: 'rain' },
      ],
    });
    expect(body).toMatchObject({
      tools: [{ type: 'function', function: { name: 'weather', parameters: { type: 'object' } } }],
      tool_choice: { type: 'function', function: { name: 'weather' } },
      parallel_tool_calls: false,
    });
    expect(body.messages.at(-1)).toEqual({ role: 'tool', tool_call_id: 'call_a', content: 'rain' });
  });
});

describe('AnthropicStrategy tool calls', () => {
  const events = [
    { type: 'message_start', message: { model: 'm', usage: { input_tokens: 3 } } },
    { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
    { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Looking.' } },
    { type: 'content_block_stop', index: 0 },
    { type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'toolu_a', name: 'weather', input: {} } },
    { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '' } },
    { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"city":' } },
    { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '"Oslo"}' } },
    { type: 'content_block_stop', index: 1 },
    { type: 'content_block_start', index: 2, content_block: { type: 'tool_use', id: 'toolu_b', name: 'time', input: {} } },
    { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '{}' } },
    { type: 'content_block_stop', index: 2 },
    { type: 'message_delta', delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 7 } },
    { type: 'message_stop' },
  ];

  it('numbers tool_use blocks among themselves, passes input_json_delta pieces on, and finishes tool_use as tool_calls', async () => {
    const { deltas } = await run(AnthropicStrategy, events);
    expect(pieces(deltas)).toEqual([
      { type: 'tool_call', index: 0, id: 'toolu_a', name: 'weather', arguments: '' },
      { type: 'tool_call', index: 0, arguments: '{"city":' },
      { type: 'tool_call', index: 0, arguments: '"Oslo"}' },
      { type: 'tool_call', index: 1, id: 'toolu_b', name: 'time', arguments: '' },
      { type: 'tool_call', index: 1, arguments: '{}' },
    ]);
    expect(finish(deltas)).toEqual({ type: 'finish', reason: TOOL_CALLS_FINISH, model: 'm' });
  });

  it('takes an input sent whole in the block start, and keeps end_turn without calls', async () => {
    const whole = await run(AnthropicStrategy, [
      { type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: 'toolu_a', name: 'weather', input: { city: 'Oslo' } } },
      { type: 'content_block_stop', index: 0 },
      { type: 'message_delta', delta: { stop_reason: 'tool_use' } },
      { type: 'message_stop' },
    ]);
    expect(pieces(whole.deltas)).toEqual([{ type: 'tool_call', index: 0, id: 'toolu_a', name: 'weather', arguments: '{"city":"Oslo"}' }]);
    const plain = await run(AnthropicStrategy, [{ type: 'message_delta', delta: { stop_reason: 'end_turn' } }, { type: 'message_stop' }]);
    expect(finish(plain.deltas)).toMatchObject({ reason: 'end_turn' });
  });

  it('sends tools, the choice and the history with thinking blocks on tool turns when thinking is on', async () => {
    const { body } = await run(AnthropicStrategy, [{ type: 'message_stop' }], {
      reasoning: { effort: 'low' },
      tools: [{ name: 'weather', parameters: { type: 'object' } }],
      toolChoice: 'auto',
      parallelToolCalls: false,
      messages: [
        { role: 'user', content: 'Weather?' },
        { role: 'assistant', content: '', reasoning: [{ text: 'hmm', signature: 'sig' }], toolCalls: [{ id: 'toolu_a', name: 'weather', arguments: '{}' }] },
        { role: 'tool', toolCallId: 'toolu_a', content: 'rain' },
      ],
    });
    expect(body).toMatchObject({
      tools: [{ name: 'weather', input_schema: { type: 'object' } }],
      tool_choice: { type: 'auto', disable_parallel_tool_use: true },
    });
    expect(body.messages).toEqual([
      { role: 'user', content: 'Weather?' },
      {
        role: 'assistant',
        content: [
          { type: 'thinking', thinking: 'hmm', signature: 'sig' },
          { type: 'tool_use', id: 'toolu_a', name: 'weather', input: {} },
        ],
      },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_a', content: 'rain' }] },
    ]);
  });
});

describe('GeminiStrategy tool calls', () => {
  const events = [
    { candidates: [{ content: { parts: [{ text: 'Looking.' }], role: 'model' } }] },
    {
      candidates: [
        {
          content: {
            parts: [
              { functionCall: { name: 'weather', args: { city: 'Oslo' } }, thoughtSignature: 'sig' },
              { functionCall: { id: 'given', name: 'time', args: {} } },
            ],
            role: 'model',
          },
          finishReason: 'STOP',
        },
      ],
      usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 2 },
    },
  ];

  it('passes each whole call on as one piece, with its signature, an id made up when Gemini gives none, and finishes as tool_calls', async () => {
    const { deltas } = await run(GeminiStrategy, events);
    const [first, second] = pieces(deltas);
    expect(first).toEqual({ type: 'tool_call', index: 0, id: expect.stringMatching(/^call_[0-9a-f]{24}$/), name: 'weather', arguments: '{"city":"Oslo"}', signature: 'sig' });
    expect(second).toEqual({ type: 'tool_call', index: 1, id: 'given', name: 'time', arguments: '{}' });
    expect(finish(deltas)).toMatchObject({ reason: TOOL_CALLS_FINISH });
    const plain = await run(GeminiStrategy, [{ candidates: [{ content: { parts: [{ text: 'Hi' }] }, finishReason: 'STOP' }] }]);
    expect(finish(plain.deltas)).toMatchObject({ reason: 'STOP' });
  });

  it('sends declarations, the tool config and the history in Gemini form', async () => {
    const { body } = await run(GeminiStrategy, events, {
      tools: [{ name: 'weather', parameters: { type: 'object' } }],
      toolChoice: 'required',
      messages: [
        { role: 'user', content: 'Weather?' },
        { role: 'assistant', content: '', toolCalls: [{ id: 'call_a', name: 'weather', arguments: '{}' }] },
        { role: 'tool', toolCallId: 'call_a', content: 'rain' },
      ],
    });
    expect(body).toMatchObject({
      tools: [{ functionDeclarations: [{ name: 'weather', parametersJsonSchema: { type: 'object' } }] }],
      toolConfig: { functionCallingConfig: { mode: 'ANY' } },
    });
    expect(body.contents).toEqual([
      { role: 'user', parts: [{ text: 'Weather?' }] },
      { role: 'model', parts: [{ functionCall: { id: 'call_a', name: 'weather', args: {} }, thoughtSignature: SKIP_THOUGHT_SIGNATURE }] },
      { role: 'user', parts: [{ functionResponse: { id: 'call_a', name: 'weather', response: { content: 'rain' } } }] },
    ]);
  });
});
