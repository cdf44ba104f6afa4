import { countTokens } from 'gpt-tokenizer';
import { ESTIMATE_MAX_CHARS, estimateCompletionTokens, estimatePromptTokens } from './token-estimate.js';

describe('token estimates', () => {
  it('counts a reply with the o200k tokenizer', async () => {
    expect(await estimateCompletionTokens('The quick brown fox jumps over the lazy dog')).toBe(countTokens('The quick brown fox jumps over the lazy dog'));
    expect(await estimateCompletionTokens('')).toBe(0);
  });

  it('counts every message of the prompt once, with the chat framing', async () => {
    const messages = [
      { role: 'system' as const, content: 'Be brief.' },
      { role: 'user' as const, content: 'Hello there' },
    ];
    expect(await estimatePromptTokens(messages)).toBe(countTokens('Be brief.\nHello there') + 2 * 4 + 3);
    expect(await estimatePromptTokens([])).toBe(0);
  });

  it('counts special-token text typed by a user as plain text instead of refusing it', async () => {
    expect(await estimateCompletionTokens('<|endoftext|> and <|im_start|>')).toBeGreaterThan(3);
  });

  it('tokenizes at most ESTIMATE_MAX_CHARS characters and extrapolates the rest', async () => {
    const unit = 'word ';
    const long = unit.repeat((3 * ESTIMATE_MAX_CHARS) / unit.length);
    const counted = countTokens(long.slice(0, ESTIMATE_MAX_CHARS));
    expect(await estimateCompletionTokens(long)).toBe(3 * counted);
  });
});
