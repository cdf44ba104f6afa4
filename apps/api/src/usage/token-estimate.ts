import type { ChatTurn } from '@app/ai';

/**
 * Token counts for replies whose provider sent none, with OpenAI's o200k tokenizer (other providers' tokenizers
 * differ by some percent: an estimate, flagged as one). At most this many characters of a text are tokenized;
 * the rest is counted at the same rate, so a huge prompt costs bounded CPU time.
 */
export const ESTIMATE_MAX_CHARS = 32_000;
/** OpenAI's chat framing: a few tokens around each message, and a few to start the reply. */
const TOKENS_PER_MESSAGE = 4;
const TOKENS_TO_START_REPLY = 3;

type Tokenizer = typeof import('gpt-tokenizer');
let tokenizer: Promise<Tokenizer> | undefined;

/**
 * Loads the tokenizer's tables (a second or two of work on this thread): the server does it at start-up, so
 * that the first estimate does not stall every reply streaming at that moment.
 */
export function loadTokenizer(): Promise<Tokenizer> {
  return (tokenizer ??= import('gpt-tokenizer'));
}

async function countBounded(text: string): Promise<number> {
  if (text.length === 0) return 0;
  const { countTokens } = await loadTokenizer();
  const counted = text.length > ESTIMATE_MAX_CHARS ? text.slice(0, ESTIMATE_MAX_CHARS) : text;
  // Special-token text typed by a user (`<|endoftext|>`) is counted as the plain text it is, not refused.
  const tokens = countTokens(counted, { disallowedSpecial: new Set() });
  return counted.length === text.length ? tokens : Math.ceil((tokens * text.length) / counted.length);
}

/** The prompt as the provider would have counted it: every message's text, once, with the chat framing. */
export async function estimatePromptTokens(messages: readonly ChatTurn[]): Promise<number> {
  if (messages.length === 0) return 0;
  const text = await countBounded(messages.map((turn) => turn.content).join('\n'));
  return text + messages.length * TOKENS_PER_MESSAGE + TOKENS_TO_START_REPLY;
}

/** The reply's text so far. */
export function estimateCompletionTokens(text: string): Promise<number> {
  return countBounded(text);
}
