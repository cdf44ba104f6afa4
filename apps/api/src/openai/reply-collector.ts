import type { MessageEvent } from '@nestjs/common';
import type { ReasoningDelta, ReplyEncoder, Usage } from '../generations/reply-encoder.js';
import { ReplyParts } from '../generations/reply-parts.js';

/**
 * The encoder of a non-streaming /v1 answer: it gathers the reply's parts as the generation produces them (the
 * provider's signatures and redacted blocks included, which the chat stream's events leave out, and which
 * Anthropic's answer carries) and emits only what ends the wait: `session`, then `done` or `error`.
 */
export class ReplyCollector implements ReplyEncoder {
  readonly parts = new ReplyParts();

  start(sessionId: string, messageId: string): MessageEvent[] {
    return [{ type: 'session', data: { sessionId, messageId } }];
  }

  delta(content: string): MessageEvent[] {
    this.parts.addText(content);
    return [];
  }

  reasoning(delta: ReasoningDelta): MessageEvent[] {
    this.parts.addReasoning(delta);
    return [];
  }

  done(messageId: string, usage: Usage | null): MessageEvent[] {
    return [{ type: 'done', data: { messageId, usage } }];
  }

  error(code: string, error: string): MessageEvent[] {
    return [{ type: 'error', data: { code, error } }];
  }
}
