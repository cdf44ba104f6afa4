import { describe, expect, it } from '@jest/globals';
import { type ChatDelta, TOOL_CALLS_FINISH } from '../chat-provider.interface.js';
import { runCanned as run } from './canned-upstream.testing.js';
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
