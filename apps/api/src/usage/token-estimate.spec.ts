import { afterAll, describe, expect, it } from '@jest/globals';
import { countTokens } from 'gpt-tokenizer';
import { TokenCounter } from './token-counter.js';
import { ESTIMATE_MAX_CHARS, TokenEstimator } from './token-estimate.js';

describe('token estimates', () => {
  const estimates = new TokenEstimator();
  afterAll(() => estimates.onApplicationShutdown());

  it('counts a reply with the o200k tokenizer', async () => {
    expect(await estimates.completion('The quick brown fox jumps over the lazy dog')).toBe(countTokens('The quick brown fox jumps over the lazy dog'));
    expect(await estimates.completion('')).toBe(0);
  });

  it('counts every message of the prompt once, with the chat framing', async () => {
    const messages = [
      { role: 'system' as const, content: 'Be brief.' },
      { role: 'user' as const, content: 'Hello there' },
    ];
    expect(await estimates.prompt(messages)).toBe(countTokens('Be brief.\nHello there') + 2 * 4 + 3);
    expect(await estimates.prompt([])).toBe(0);
  });

  it('counts special-token text typed by a user as plain text instead of refusing it', async () => {
    expect(await estimates.completion('<|endoftext|> and <|im_start|>')).toBeGreaterThan(3);
  });

  it('tokenizes at most ESTIMATE_MAX_CHARS characters and extrapolates the rest', async () => {
    const unit = 'word ';
    const long = unit.repeat((3 * ESTIMATE_MAX_CHARS) / unit.length);
    const counted = countTokens(long.slice(0, ESTIMATE_MAX_CHARS));
    expect(await estimates.completion(long)).toBe(3 * counted);
  });

  it('answers concurrent counts each with its own text', async () => {
    const texts = Array.from({ length: 20 }, (_, i) => 'token '.repeat(i * 7 + 1));
    expect(await Promise.all(texts.map((text) => estimates.completion(text)))).toEqual(texts.map((text) => countTokens(text)));
  });
});

describe('TokenCounter', () => {
  it('rejects what a stopped worker was counting, and starts a new one for the next count', async () => {
    const counter = new TokenCounter();
    expect(await counter.count('warm up')).toBe(countTokens('warm up'));
    // Long enough (2 MB) that the worker is still counting when it is stopped.
    const cut = counter.count('word '.repeat(400_000));
    await counter.close();
    await expect(cut).rejects.toThrow(/token counter stopped/);
    expect(await counter.count('after a restart')).toBe(countTokens('after a restart'));
    await counter.close();
  });
});
