import { describe, expect, it } from '@jest/globals';
import type { ChatRequest } from '../chat-provider.interface.js';
import { openAiMessages, openAiTools } from './openai.messages.js';

const request = (extra: Partial<ChatRequest>): ChatRequest => ({ model: 'm', messages: [], baseUrl: 'http://upstream', ...extra });
const weather = { name: 'weather', description: 'The weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } } } };

describe('openAiMessages', () => {
  it('sends calls as tool_calls and results as tool turns, and leaves reasoning out', () => {
    expect(
      openAiMessages([
        { role: 'system', content: 'Be brief' },
        { role: 'user', content: 'Weather?' },
        {
          role: 'assistant',
          content: '',
          reasoning: [{ text: 'hmm', signature: 'sig' }],
          toolCalls: [
            { id: 'call_1', name: 'weather', arguments: '{"city":"Oslo"}' },
            { id: 'call_2', name: 'weather', arguments: '{"city":"Rome"}' },
          ],
        },
        { role: 'tool', toolCallId: 'call_1', content: 'rain' },
        { role: 'tool', toolCallId: 'call_2', content: 'sun' },
        { role: 'assistant', content: 'Rain and sun.' },
      ]),
    ).toEqual([
      { role: 'system', content: 'Be brief' },
      { role: 'user', content: 'Weather?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } },
          { id: 'call_2', type: 'function', function: { name: 'weather', arguments: '{"city":"Rome"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: 'rain' },
      { role: 'tool', tool_call_id: 'call_2', content: 'sun' },
      { role: 'assistant', content: 'Rain and sun.' },
    ]);
  });

  it('keeps the text of an assistant turn that also called a tool', () => {
    const [turn] = openAiMessages([{ role: 'assistant', content: 'Let me look.', toolCalls: [{ id: 'c', name: 'weather', arguments: '{}' }] }]);
    expect(turn).toMatchObject({ content: 'Let me look.' });
  });
});

describe('openAiTools', () => {
  it('sends function tools, the choice in its four forms and parallel_tool_calls', () => {
    expect(openAiTools(request({ tools: [weather], toolChoice: 'required', parallelToolCalls: false }))).toEqual({
      tools: [{ type: 'function', function: weather }],
      tool_choice: 'required',
      parallel_tool_calls: false,
    });
    for (const choice of ['auto', 'none'] as const) expect(openAiTools(request({ tools: [weather], toolChoice: choice }))).toMatchObject({ tool_choice: choice });
    expect(openAiTools(request({ tools: [weather], toolChoice: { name: 'weather' } }))).toMatchObject({ tool_choice: { type: 'function', function: { name: 'weather' } } });
  });

  it('sends nothing without tools, and no description that was not given', () => {
    expect(openAiTools(request({ toolChoice: 'auto', parallelToolCalls: true }))).toEqual({});
    expect(openAiTools(request({ tools: [{ name: 'now', parameters: {} }] }))).toEqual({ tools: [{ type: 'function', function: { name: 'now', parameters: {} } }] });
  });
});
