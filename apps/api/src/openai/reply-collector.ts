import type { MessageEvent } from '@nestjs/common';
import type { ToolCall } from '@app/ai';
import type { ReasoningDelta, ReplyEncoder, Usage } from '../generations/reply-encoder.js';
import { ReplyParts } from '../generations/reply-parts.js';

/**
 * The encoder of a non-streaming /v1 answer: it gathers the reply's parts as the generation produces them (the
 * provider's signatures and redacted blocks included, which the chat stream's events leave out, and which
 * Anthropic's answer carries) and its tool calls, and emits only what ends the wait: `session`, then `done` or `error`.
 */
export class ReplyCollector implements ReplyEncoder {
  readonly parts = new ReplyParts();
  readonly toolCalls: ToolCall[] = [];

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

  /** Calls come whole, in order, once the generation has assembled them. */
  toolCall(call: ToolCall): MessageEvent[] {
    this.toolCalls.push(call);
    return [];
  }

  done(messageId: string, usage: Usage | null): MessageEvent[] {
    return [{ type: 'done', data: { messageId, usage } }];
  }

  error(code: string, error: string): MessageEvent[] {
    return [{ type: 'error', data: { code, error } }];
  }
}
