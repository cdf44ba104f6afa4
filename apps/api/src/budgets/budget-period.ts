import type { ChatAttachment, ChatTurn, ToolDefinition } from '@app/ai';
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
 * A cheap upper estimate of a prompt's tokens, made before every reply of a user with a budget: a third of the
 * characters of its text, tool calls and offered tools (English, code and JSON average about four a token), a few
 * tokens of framing per message, and per attachment: an image at IMAGE_TOKENS, a PDF at a token per
 * PDF_BYTES_PER_TOKEN of its bytes (at least PDF_MIN_TOKENS). Text of scripts such as Chinese, and PDFs dense in
 * text, may run higher; the reservation is then short by the difference, and the real cost, from the provider's
 * count, is what is charged.
 */
export function promptTokenBound(messages: readonly ChatTurn[], tools: readonly ToolDefinition[] = []): number {
  const chars = (turn: ChatTurn) => turn.content.length + (turn.toolCalls ?? []).reduce((sum, call) => sum + call.name.length + call.arguments.length, 0);
  const files = (turn: ChatTurn) => (turn.attachments ?? []).reduce((sum, file) => sum + attachmentTokens(file), 0);
  const offered = tools.length === 0 ? 0 : Math.ceil(JSON.stringify(tools).length / 3);
  return messages.reduce((tokens, turn) => tokens + Math.ceil(chars(turn) / 3) + files(turn) + PER_MESSAGE_TOKENS, offered);
}

const PER_MESSAGE_TOKENS = 8;
/** Anthropic's largest image costs about 1,600 tokens; OpenAI's high detail and Gemini's tiles stay under it. */
const IMAGE_TOKENS = 1_600;
/** Providers read a PDF's pages as text and as images, some 1,500 to 3,000 tokens a page. */
const PDF_BYTES_PER_TOKEN = 20;
const PDF_MIN_TOKENS = 3_000;

function attachmentTokens({ mediaType, data }: ChatAttachment): number {
  if (mediaType !== 'application/pdf') return IMAGE_TOKENS;
  return Math.max(PDF_MIN_TOKENS, Math.ceil((data.length * 3) / 4 / PDF_BYTES_PER_TOKEN));
}
