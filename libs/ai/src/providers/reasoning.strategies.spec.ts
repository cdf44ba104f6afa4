import { describe, expect, it } from '@jest/globals';
import type { ChatDelta } from '../chat-provider.interface.js';
import { AnthropicStrategy } from './anthropic.strategy.js';
import { runCanned as run } from './canned-upstream.testing.js';
import { GeminiStrategy } from './gemini.strategy.js';
import { OpenAiStrategy } from './openai.strategy.js';

const kinds = (deltas: ChatDelta[]) => deltas.filter((delta) => delta.type === 'text' || delta.type === 'reasoning');

describe('OpenAiStrategy reasoning', () => {
  const chunk = (delta: object, finish: string | null = null) => ({ choices: [{ index: 0, delta, finish_reason: finish }] });

  it('maps reasoning_content and reasoning to reasoning deltas, and reasoning tokens from the usage', async () => {
    const { deltas } = await run(OpenAiStrategy, [
      chunk({ reasoning_content: 'a' }),
      chunk({ reasoning: 'b' }),
      chunk({ content: 'Answer' }),
      chunk({}, 'stop'),
      { choices: [], usage: { prompt_tokens: 3, completion_tokens: 9, completion_tokens_details: { reasoning_tokens: 5 } } },
      '[DONE]',
    ]);
    expect(kinds(deltas)).toEqual([
      { type: 'reasoning', text: 'a' },
      { type: 'reasoning', text: 'b' },
      { type: 'text', text: 'Answer' },
    ]);
    expect(deltas).toContainEqual({ type: 'usage', promptTokens: 3, completionTokens: 9, reasoningTokens: 5 });
  });

  it('splits <think> out of the content, tags cut across chunks', async () => {
    const { deltas } = await run(OpenAiStrategy, [chunk({ content: '<thi' }), chunk({ content: 'nk>why</th' }), chunk({ content: 'ink>\n\nso' }), chunk({}, 'stop'), '[DONE]']);
    expect(kinds(deltas)).toEqual([
      { type: 'reasoning', text: 'why' },
      { type: 'text', text: 'so' },
    ]);
  });

  it('sends reasoning_effort, derived from a budget when no effort is given, and nothing without the option', async () => {
    expect((await run(OpenAiStrategy, ['[DONE]'], { reasoning: { effort: 'high' } })).body.reasoning_effort).toBe('high');
    expect((await run(OpenAiStrategy, ['[DONE]'], { reasoning: { budgetTokens: 3000 } })).body.reasoning_effort).toBe('low');
    expect((await run(OpenAiStrategy, ['[DONE]'])).body).not.toHaveProperty('reasoning_effort');
  });
});

describe('AnthropicStrategy reasoning', () => {
  const events = [
    { type: 'message_start', message: { model: 'm', usage: { input_tokens: 3 } } },
    { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } },
    { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'hmm' } },
    { type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'sig' } },
    { type: 'content_block_stop', index: 0 },
    { type: 'content_block_start', index: 1, content_block: { type: 'redacted_thinking', data: 'secret' } },
    { type: 'content_block_stop', index: 1 },
    { type: 'content_block_start', index: 2, content_block: { type: 'text', text: '' } },
    { type: 'content_block_delta', index: 2, delta: { type: 'text_delta', text: 'Answer' } },
    { type: 'content_block_stop', index: 2 },
    { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 7 } },
    { type: 'message_stop' },
  ];

  it('maps thinking, its signature and redacted thinking to reasoning deltas', async () => {
    const { deltas } = await run(AnthropicStrategy, events);
    expect(kinds(deltas)).toEqual([
      { type: 'reasoning', text: 'hmm' },
      { type: 'reasoning', text: '', signature: 'sig' },
      { type: 'reasoning', text: '', redactedData: 'secret' },
      { type: 'text', text: 'Answer' },
    ]);
  });

  it('enables thinking with a budget on top of max_tokens and without temperature', async () => {
    const { body } = await run(AnthropicStrategy, events, { reasoning: { effort: 'low' }, maxTokens: 1000 });
    expect(body.thinking).toEqual({ type: 'enabled', budget_tokens: 2048 });
    expect(body.max_tokens).toBe(3048);
    expect(body).not.toHaveProperty('temperature');
    const small = await run(AnthropicStrategy, events, { reasoning: { budgetTokens: 10 } });
    expect(small.body.thinking).toEqual({ type: 'enabled', budget_tokens: 1024 });
    const plain = await run(AnthropicStrategy, events);
    expect(plain.body).not.toHaveProperty('thinking');
    expect(plain.body.temperature).toBe(0.5);
  });
});

describe('GeminiStrategy reasoning', () => {
  const events = [
    { candidates: [{ content: { parts: [{ text: 'hmm', thought: true }], role: 'model' } }] },
    { candidates: [{ content: { parts: [{ text: 'Answer' }], role: 'model' } }] },
    { candidates: [{ content: { parts: [{ text: '' }] }, finishReason: 'STOP' }], usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 2, thoughtsTokenCount: 4 } },
  ];

  it('maps thought parts to reasoning, and counts thought tokens as reasoning within the completion', async () => {
    const { deltas } = await run(GeminiStrategy, events);
    expect(kinds(deltas)).toEqual([
      { type: 'reasoning', text: 'hmm' },
      { type: 'text', text: 'Answer' },
    ]);
    expect(deltas).toContainEqual({ type: 'usage', promptTokens: 3, completionTokens: 6, cachedPromptTokens: 0, reasoningTokens: 4 });
  });

  it('asks for thoughts with a thinking budget', async () => {
    const { body } = await run(GeminiStrategy, events, { reasoning: { budgetTokens: 5000 } });
    expect(body.generationConfig.thinkingConfig).toEqual({ thinkingBudget: 5000, includeThoughts: true });
    expect((await run(GeminiStrategy, events)).body.generationConfig).not.toHaveProperty('thinkingConfig');
  });
});
