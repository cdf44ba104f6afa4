import { describe, expect, it } from '@jest/globals';
import type { ChatRequest, ChatTurn } from '../chat-provider.interface.js';
import { anthropicMessages, anthropicTools } from './anthropic.messages.js';

const request = (extra: Partial<ChatRequest>): ChatRequest => ({ model: 'm', messages: [], baseUrl: 'http://upstream', ...extra });
const weather = { name: 'weather', description: 'The weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } } } };

const history: ChatTurn[] = [
  { role: 'system', content: 'Be brief' },
  { role: 'user', content: 'Weather?' },
  {
    role: 'assistant',
    content: 'Looking.',
    reasoning: [{ text: 'hmm', signature: 'sig' }, { text: '', redactedData: 'secret' }, { text: 'unsigned' }],
    toolCalls: [
      { id: 'toolu_1', name: 'weather', arguments: '{"city":"Oslo"}' },
      { id: 'toolu_2', name: 'weather', arguments: '{"city":' },
    ],
  },
  { role: 'tool', toolCallId: 'toolu_1', content: 'rain' },
  { role: 'tool', toolCallId: 'toolu_2', content: 'bad arguments' },
  { role: 'assistant', content: 'Rain.', reasoning: [{ text: 'done', signature: 'sig2' }] },
  { role: 'user', content: 'Thanks' },
];

describe('anthropicMessages', () => {
  it('sends calls as tool_use blocks and a run of results as one user message of tool_result blocks', () => {
    expect(anthropicMessages(history, false)).toEqual([
      { role: 'user', content: 'Weather?' },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Looking.' },
          { type: 'tool_use', id: 'toolu_1', name: 'weather', input: { city: 'Oslo' } },
          // Arguments that do not parse to an object go as an empty input.
          { type: 'tool_use', id: 'toolu_2', name: 'weather', input: {} },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_1', content: 'rain' },
          { type: 'tool_result', tool_use_id: 'toolu_2', content: 'bad arguments' },
        ],
      },
      { role: 'assistant', content: 'Rain.' },
      { role: 'user', content: 'Thanks' },
    ]);
  });

  it('with thinking on, starts a tool turn with its signed and redacted thinking, and sends it nowhere else', () => {
    const messages = anthropicMessages(history, true) as { role: string; content: unknown }[];
    expect(messages[1]!.content).toEqual([
      { type: 'thinking', thinking: 'hmm', signature: 'sig' },
      { type: 'redacted_thinking', data: 'secret' },
      { type: 'text', text: 'Looking.' },
      { type: 'tool_use', id: 'toolu_1', name: 'weather', input: { city: 'Oslo' } },
      { type: 'tool_use', id: 'toolu_2', name: 'weather', input: {} },
    ]);
    expect(messages[3]).toEqual({ role: 'assistant', content: 'Rain.' });
  });

  it('keeps results of separate rounds in separate user messages', () => {
    const messages = anthropicMessages(
      [
        { role: 'user', content: 'Go' },
        { role: 'assistant', content: '', toolCalls: [{ id: 'a', name: 'f', arguments: '{}' }] },
        { role: 'tool', toolCallId: 'a', content: '1' },
        { role: 'assistant', content: '', toolCalls: [{ id: 'b', name: 'f', arguments: '[1]' }] },
        { role: 'tool', toolCallId: 'b', content: '2' },
      ],
      false,
    );
    expect(messages.map((message) => (message as { role: string }).role)).toEqual(['user', 'assistant', 'user', 'assistant', 'user']);
    expect(messages[3]).toEqual({ role: 'assistant', content: [{ type: 'tool_use', id: 'b', name: 'f', input: {} }] });
  });
});

describe('anthropicTools', () => {
  it('sends tools with input_schema and maps the four choices', () => {
    expect(anthropicTools(request({ tools: [weather] }))).toEqual({
      tools: [{ name: 'weather', description: 'The weather in a city', input_schema: weather.parameters }],
    });
    const choice = (toolChoice: ChatRequest['toolChoice']) => (anthropicTools(request({ tools: [weather], toolChoice })) as { tool_choice?: unknown }).tool_choice;
    expect(choice('auto')).toEqual({ type: 'auto' });
    expect(choice('none')).toEqual({ type: 'none' });
    expect(choice('required')).toEqual({ type: 'any' });
    expect(choice({ name: 'weather' })).toEqual({ type: 'tool', name: 'weather' });
  });

  it('turns parallel_tool_calls false into disable_parallel_tool_use, except with none; nothing without tools', () => {
    const choice = (extra: Partial<ChatRequest>) => (anthropicTools(request({ tools: [weather], ...extra })) as { tool_choice?: unknown }).tool_choice;
    expect(choice({ parallelToolCalls: false })).toEqual({ type: 'auto', disable_parallel_tool_use: true });
    expect(choice({ parallelToolCalls: false, toolChoice: 'required' })).toEqual({ type: 'any', disable_parallel_tool_use: true });
    expect(choice({ parallelToolCalls: false, toolChoice: 'none' })).toEqual({ type: 'none' });
    expect(choice({ parallelToolCalls: true })).toBeUndefined();
    expect(anthropicTools(request({ toolChoice: 'required', parallelToolCalls: false }))).toEqual({});
  });
});
