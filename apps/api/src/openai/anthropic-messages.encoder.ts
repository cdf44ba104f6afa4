import type { MessageEvent } from '@nestjs/common';
import type { ReplyEncoder, Usage } from '../generations/reply-encoder.js';
import type { CollectedReply } from './openai.service.js';

/** Anthropic's error `type` for one of our stream error codes. */
function errorType(code: string): string {
  if (code === 'upstream_auth') return 'authentication_error';
  if (code === 'upstream_rate_limited') return 'rate_limit_error';
  if (code === 'upstream_bad_request') return 'invalid_request_error';
  if (code === 'server_shutdown') return 'overloaded_error';
  return 'api_error';
}

const usageOf = (usage: Usage | null) => ({ input_tokens: usage?.promptTokens ?? 0, output_tokens: usage?.completionTokens ?? 0 });

/**
 * A generation as Anthropic's Messages stream: `message_start`, one text block (`content_block_start`,
 * `content_block_delta` per delta, `content_block_stop`), `message_delta` with the usage, `message_stop`.
 */
export class AnthropicMessagesEncoder implements ReplyEncoder {
  constructor(private readonly model: string) {}

  start(_sessionId: string, messageId: string): MessageEvent[] {
    const message = { ...anthropicMessage(this.model, { messageId, content: '', usage: null }), content: [], stop_reason: null };
    return [
      this.event('message_start', { message }),
      this.event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
    ];
  }

  delta(content: string): MessageEvent {
    return this.event('content_block_delta', { index: 0, delta: { type: 'text_delta', text: content } });
  }

  /**
   * Text only: our message opens its one text block at once, before any thinking could come, so reasoning is
   * left out here (it is saved with the reply and streamed by the chat and chat-completions APIs).
   */
  reasoning(): MessageEvent[] {
    return [];
  }

  /** A stopped reply ends as any other (Anthropic has no stop reason for it), its text being what was sent. */
  done(_messageId: string, usage: Usage | null): MessageEvent[] {
    return [
      this.event('content_block_stop', { index: 0 }),
      this.event('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: usageOf(usage) }),
      this.event('message_stop', {}),
    ];
  }

  error(code: string, message: string): MessageEvent[] {
    return [this.event('error', { error: { type: errorType(code), message } })];
  }

  private event(type: string, data: object): MessageEvent {
    return { type, data: { type, ...data } };
  }
}

/** A collected reply as an Anthropic `message`. */
export function anthropicMessage(model: string, reply: Pick<CollectedReply, 'messageId' | 'content' | 'usage'>) {
  return {
    id: `msg_${reply.messageId}`,
    type: 'message',
    role: 'assistant',
    model,
    content: [{ type: 'text', text: reply.content }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: usageOf(reply.usage),
  };
}
