import { parseDecimal } from './money.js';

/** A model's prices per million tokens, as exact decimal strings, in `currency`. */
export interface TokenPrices {
  currency: string;
  inputPerMillion: string;
  outputPerMillion: string;
  cachedInputPerMillion: string;
  reasoningPerMillion: string;
}

/**
 * What a reply used. `promptTokens` counts every prompt token, the cached ones among them; `completionTokens`
 * every generated one, the reasoning ones among them (OpenAI's convention; strategies convert to it).
 */
export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
  cachedPromptTokens: number;
  reasoningTokens: number;
}

const MILLION = 1_000_000n;

/**
 * The cost of `usage` at `prices`, in nano-units of the price's currency: each kind of token at its own rate
 * (cached prompt tokens at the cached rate, reasoning tokens at the reasoning rate, the rest at the plain rates),
 * summed exactly and rounded once, half up, to a nano-unit. A part larger than its whole (more cached than
 * prompt tokens) is capped at the whole, so no token is counted twice.
 */
export function costOf(prices: TokenPrices, usage: TokenUsage): bigint {
  const cached = Math.min(usage.cachedPromptTokens, usage.promptTokens);
  const reasoning = Math.min(usage.reasoningTokens, usage.completionTokens);
  const perMillion =
    BigInt(usage.promptTokens - cached) * parseDecimal(prices.inputPerMillion) +
    BigInt(cached) * parseDecimal(prices.cachedInputPerMillion) +
    BigInt(usage.completionTokens - reasoning) * parseDecimal(prices.outputPerMillion) +
    BigInt(reasoning) * parseDecimal(prices.reasoningPerMillion);
  return (perMillion + MILLION / 2n) / MILLION;
}
