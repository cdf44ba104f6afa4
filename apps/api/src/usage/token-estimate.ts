import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { ChatTurn } from '@app/ai';
import { TokenCounter } from './token-counter.js';

/**
 * Token counts for replies whose provider sent none, with OpenAI's o200k tokenizer (other providers' tokenizers
 * differ by some percent: an estimate, flagged as one). At most this many characters of a text are tokenized;
 * the rest is counted at the same rate, so a huge prompt costs bounded CPU time.
 */
export const ESTIMATE_MAX_CHARS = 32_000;
/** OpenAI's chat framing: a few tokens around each message, and a few to start the reply. */
const TOKENS_PER_MESSAGE = 4;
const TOKENS_TO_START_REPLY = 3;

/** Estimates on the counter's own thread (TokenCounter): never on the event loop that streams the replies. */
@Injectable()
export class TokenEstimator implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly counter = new TokenCounter();

  /**
   * The tables load on the counter's thread while the server starts: loaded at the first estimate instead, they made
   * that reply's settlement half a second late, and its slot among the user's concurrent replies with it.
   */
  onApplicationBootstrap(): void {
    this.counter.start();
  }

  /** The prompt as the provider would have counted it: every message's text, once, with the chat framing. */
  async prompt(messages: readonly ChatTurn[]): Promise<number> {
    if (messages.length === 0) return 0;
    const text = await this.countBounded(messages.map((turn) => turn.content).join('\n'));
    return text + messages.length * TOKENS_PER_MESSAGE + TOKENS_TO_START_REPLY;
  }

  /** The reply's text so far. */
  completion(text: string): Promise<number> {
    return this.countBounded(text);
  }

  onApplicationShutdown(): Promise<void> {
    return this.counter.close();
  }

  private async countBounded(text: string): Promise<number> {
    if (text.length === 0) return 0;
    const counted = text.length > ESTIMATE_MAX_CHARS ? text.slice(0, ESTIMATE_MAX_CHARS) : text;
    const tokens = await this.counter.count(counted);
    return counted.length === text.length ? tokens : Math.ceil((tokens * text.length) / counted.length);
  }
}
