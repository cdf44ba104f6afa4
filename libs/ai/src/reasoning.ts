import type { ReasoningEffort, ReasoningOptions } from './chat-provider.interface.js';

/** Thinking budgets (tokens) for the providers that take a budget rather than an effort. Anthropic's minimum is 1024. */
const EFFORT_BUDGETS: Record<ReasoningEffort, number> = { low: 2_048, medium: 8_192, high: 24_576 };
export const MIN_THINKING_BUDGET = 1_024;

/** The budget asked for, else the effort's; undefined when no reasoning was asked for. */
export function thinkingBudget(options: ReasoningOptions | undefined): number | undefined {
  if (!options) return undefined;
  const budget = options.budgetTokens ?? (options.effort && EFFORT_BUDGETS[options.effort]);
  return budget === undefined ? undefined : Math.max(MIN_THINKING_BUDGET, budget);
}

/** The effort asked for, else the nearest to the budget, for the providers that take an effort. */
export function reasoningEffort(options: ReasoningOptions | undefined): ReasoningEffort | undefined {
  if (options?.effort) return options.effort;
  const budget = options?.budgetTokens;
  if (budget === undefined) return undefined;
  if (budget < EFFORT_BUDGETS.medium) return 'low';
  return budget < EFFORT_BUDGETS.high ? 'medium' : 'high';
}
