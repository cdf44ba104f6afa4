import { describe, expect, it } from '@jest/globals';
import type { ChatRequest } from '../chat-provider.interface.js';
import { geminiContents, geminiTools, SKIP_THOUGHT_SIGNATURE } from './gemini.messages.js';

const request = (extra: Partial<ChatRequest>): ChatRequest => ({ model: 'm', messages: [], baseUrl: 'http://upstream', ...extra });
const weather = { name: 'weather', description: 'The weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, additionalProperties: false } };

describe('geminiContents', () => {
  it('sends calls as signed functionCall parts and a run of results as one user turn of functionResponse parts', () => {
    expect(
      geminiContents([
        { role: 'system', content: 'Be brief' },
        { role: 'user', content: 'Weather?' },
        {
          role: 'assistant',
          content: 'Looking.',
          toolCalls: [
            { id: 'call_1', name: 'weather', arguments: '{"city":"Oslo"}', signature: 'sig' },
            { id: 'call_2', name: 'time', arguments: 'not json' },
          ],
        },
        { role: 'tool', toolCallId: 'call_1', content: '{"sky":"grey"}' },
        { role: 'tool', toolCallId: 'call_2', content: 'noon' },
        { role: 'assistant', content: 'Grey at noon.' },
        { role: 'user', content: 'Thanks' },
      ]),
    ).toEqual([
      { role: 'user', parts: [{ text: 'Weather?' }] },
      {
        role: 'model',
        parts: [
          { text: 'Looking.' },
          { functionCall: { id: 'call_1', name: 'weather', args: { city: 'Oslo' } }, thoughtSignature: 'sig' },
          { functionCall: { id: 'call_2', name: 'time', args: {} } },
        ],
      },
      {
        role: 'user',
        parts: [
          { functionResponse: { id: 'call_1', name: 'weather', response: { sky: 'grey' } } },
          { functionResponse: { id: 'call_2', name: 'time', response: { content: 'noon' } } },
        ],
      },
      { role: 'model', parts: [{ text: 'Grey at noon.' }] },
      { role: 'user', parts: [{ text: 'Thanks' }] },
    ]);
  });

  it('wraps results that are no JSON object, and marks the first call of an unsigned turn with the skip value', () => {
    const contents = geminiContents([
      { role: 'assistant', content: '', toolCalls: [{ id: 'a', name: 'f', arguments: '{}' }, { id: 'b', name: 'g', arguments: '{}' }] },
      { role: 'tool', toolCallId: 'a', content: '[1,2]' },
      { role: 'tool', toolCallId: 'b', content: '42' },
    ]) as { parts: Record<string, any>[] }[];
    expect(contents[0]!.parts.map((part) => part.thoughtSignature)).toEqual([SKIP_THOUGHT_SIGNATURE, undefined]);
    expect(contents[1]!.parts.map((part) => part.functionResponse.response)).toEqual([{ content: [1, 2] }, { content: 42 }]);
  });
});

describe('geminiTools', () => {
  it('declares functions with their JSON Schema and maps the four choices to functionCallingConfig', () => {
    expect(geminiTools(request({ tools: [weather], parallelToolCalls: false }))).toEqual({
      tools: [{ functionDeclarations: [{ name: 'weather', description: 'The weather in a city', parametersJsonSchema: weather.parameters }] }],
    });
    const config = (toolChoice: ChatRequest['toolChoice']) => (geminiTools(request({ tools: [weather], toolChoice })) as Record<string, any>).toolConfig;
    expect(config('auto')).toEqual({ functionCallingConfig: { mode: 'AUTO' } });
    expect(config('none')).toEqual({ functionCallingConfig: { mode: 'NONE' } });
    expect(config('required')).toEqual({ functionCallingConfig: { mode: 'ANY' } });
    expect(config({ name: 'weather' })).toEqual({ functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['weather'] } });
    expect(geminiTools(request({ toolChoice: 'required' }))).toEqual({});
  });
});
