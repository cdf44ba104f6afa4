import type { MessageEvent } from '@nestjs/common';

/** Error codes of the `error` event: the upstream ones, plus our own failures. */
export type StreamErrorCode = string;

export interface Usage {
  promptTokens: number;
  completionTokens: number;
}

/** Turns one generation's moments into wire events; one implementation per protocol the gateway speaks. */
export interface ReplyEncoder {
  start(sessionId: string, messageId: string): MessageEvent;
  delta(content: string): MessageEvent;
  done(messageId: string, usage: Usage | null, responseTimeMs: number): MessageEvent[];
  error(code: StreamErrorCode, error: string, messageId?: string): MessageEvent[];
}

/**
 * The wire protocol of a chat stream, in one place: `session`, then `message` per delta, then `done` or
 * `error`. Ids number the events of one generation, so a client can say where it stopped.
 */
export class ChatEventWriter implements ReplyEncoder {
  private seq = 0;

  start(sessionId: string, messageId: string): MessageEvent {
    return this.event('session', { sessionId, messageId });
  }

  delta(content: string): MessageEvent {
    return this.event('message', { content });
  }

  done(messageId: string, usage: Usage | null, responseTimeMs: number): MessageEvent[] {
    return [this.event('done', { messageId, usage, responseTimeMs })];
  }

  error(code: StreamErrorCode, error: string, messageId?: string): MessageEvent[] {
    return [this.event('error', { error, code, ...(messageId && { messageId }) })];
  }

  private event(type: string, data: object): MessageEvent {
    return { type, id: String(++this.seq), data };
  }
}

/** SSE comment lines keep proxies from cutting an idle stream; clients ignore them. */
export const HEARTBEAT: MessageEvent = { comment: 'keep-alive' };
