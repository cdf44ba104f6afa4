import { costOf, type TokenPrices } from './cost.js';
import { formatDecimal, parseDecimal } from './money.js';

const GPT_4O: TokenPrices = { currency: 'USD', inputPerMillion: '2.50', outputPerMillion: '10.00', cachedInputPerMillion: '1.25', reasoningPerMillion: '10.00' };
const usage = (promptTokens: number, completionTokens: number, cachedPromptTokens = 0, reasoningTokens = 0) => ({ promptTokens, completionTokens, cachedPromptTokens, reasoningTokens });

describe('money', () => {
  it('reads decimal text exactly, in nano-units', () => {
    expect(parseDecimal('2.50')).toBe(2_500_000_000n);
    expect(parseDecimal('0.000000001')).toBe(1n);
    expect(parseDecimal('0')).toBe(0n);
  });

  it('refuses what is not a non-negative decimal of at most nine places', () => {
    for (const text of ['', '-1', '1e3', '1.', '.5', '0.0000000001', 'NaN', ' 1']) expect(() => parseDecimal(text)).toThrow(RangeError);
  });

  it('prints nine places', () => {
    expect(formatDecimal(12_500n)).toBe('0.000012500');
    expect(formatDecimal(3_000_000_001n)).toBe('3.000000001');
  });
});

describe('costOf', () => {
  it('prices prompt and completion tokens per million', () => {
    // 1000 × 2.50 / 1e6 + 500 × 10 / 1e6 = 0.0025 + 0.005
    expect(formatDecimal(costOf(GPT_4O, usage(1000, 500)))).toBe('0.007500000');
  });

  it('prices cached prompt tokens and reasoning tokens at their own rates, inside their totals', () => {
    const prices = { ...GPT_4O, reasoningPerMillion: '20.00' };
    // 600 uncached × 2.50 + 400 cached × 1.25 + 300 plain output × 10 + 200 reasoning × 20, per million
    expect(formatDecimal(costOf(prices, usage(1000, 500, 400, 200)))).toBe('0.009000000');
  });

  it('caps a part at its whole, so no token is counted twice', () => {
    expect(costOf(GPT_4O, usage(100, 10, 500, 50))).toBe(costOf(GPT_4O, usage(100, 10, 100, 10)));
  });

  it('rounds once, half up, to a nano-unit', () => {
    // 0.000001 per million tokens is a thousandth of a nano-unit per token.
    const cheap = { ...GPT_4O, inputPerMillion: '0.000001', outputPerMillion: '0.000001' };
    expect(costOf(cheap, usage(499, 0))).toBe(0n);
    expect(costOf(cheap, usage(500, 0))).toBe(1n);
    // The parts are summed before rounding: 250 + 250 tokens round up together.
    expect(costOf(cheap, usage(250, 250))).toBe(1n);
  });

  it('sums without drift where floats would (0.1 + 0.2)', () => {
    const tenth = { ...GPT_4O, inputPerMillion: '0.1', outputPerMillion: '0.2' };
    expect(formatDecimal(costOf(tenth, usage(1_000_000, 1_000_000)))).toBe('0.300000000');
  });

  it('is zero for a free model and for no tokens', () => {
    const free = { ...GPT_4O, inputPerMillion: '0', outputPerMillion: '0', cachedInputPerMillion: '0', reasoningPerMillion: '0' };
    expect(costOf(free, usage(10_000, 10_000))).toBe(0n);
    expect(costOf(GPT_4O, usage(0, 0))).toBe(0n);
  });
});
