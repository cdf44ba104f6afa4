import { formatDecimal } from '../usage/money.js';

/** Budgets run by calendar month, in UTC: the same month for every replica and every user. */
export function periodOf(at: Date): string {
  return at.toISOString().slice(0, 7);
}

/** When the month of `at` ends and the next budget starts. */
export function nextPeriodStart(at: Date): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1));
}

/** Nano-units for people: the trailing zeros beyond the cents dropped (`50.00`, `0.0000125`). */
export function displayMoney(nanos: bigint): string {
  return formatDecimal(nanos).replace(/0{1,7}$/, '');
}

/**
 * A cheap upper estimate of a prompt's tokens, made before every reply of a user with a budget: a third of its
 * characters (English and code average about four a token) plus a few tokens of framing per message. Text of
 * scripts such as Chinese may run higher; the reservation is then short by the difference, and the real cost,
 * from the provider's count, is what is charged.
 */
export function promptTokenBound(messages: readonly { content: string }[]): number {
  return messages.reduce((tokens, message) => tokens + Math.ceil(message.content.length / 3) + PER_MESSAGE_TOKENS, 0);
}

const PER_MESSAGE_TOKENS = 8;
