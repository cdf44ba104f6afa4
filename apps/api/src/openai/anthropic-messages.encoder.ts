import type { MessageEvent } from '@nestjs/common';
import { argumentsObject, type ToolCall } from '@app/ai';
import type { ReplyAttempt } from '@app/persistence';
import type { FinishReason, ReasoningDelta, ReplyEncoder, StopReason, Usage } from '../generations/reply-encoder.js';
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
 * A generation as Anthropic's Messages stream: `message_start`, then its content blocks in the order the model
 * wrote them (`content_block_start`, `content_block_delta`s, `content_block_stop`): thinking blocks (`thinking_delta`s
 * and, where the provider signed the block, its `signature_delta`), redacted_thinking blocks whole, and the text
 * block, and a tool_use block per tool call once complete (its input as one `input_json_delta`); then
 * `message_delta` with the usage (stop_reason `tool_use` after calls) and `message_stop`. A reply without text or
 * calls still has its (empty) text block.
 */
export class AnthropicMessagesEncoder implements ReplyEncoder {
  private open: { type: 'thinking' | 'text'; sealed: boolean } | null = null;
  private index = -1;
  private hasText = false;
  private hasToolUse = false;

  constructor(private readonly model: string) {}

  start(_sessionId: string, messageId: string): MessageEvent[] {
    const message = { ...anthropicMessage(this.model, { messageId, parts: [], toolCalls: [], usage: null }), content: [], stop_reason: null };
    return [this.event('message_start', { message })];
  }

  delta(content: string): MessageEvent[] {
    return [...this.openBlock('text'), this.event('content_block_delta', { index: this.index, delta: { type: 'text_delta', text: content } })];
  }

  reasoning({ text, signature, redactedData }: ReasoningDelta): MessageEvent[] {
    if (redactedData) {
      const events = [...this.closeBlock(), this.event('content_block_start', { index: ++this.index, content_block: { type: 'redacted_thinking', data: redactedData } })];
      return [...events, this.event('content_block_stop', { index: this.index })];
    }
    const events = this.openBlock('thinking');
    if (text) events.push(this.event('content_block_delta', { index: this.index, delta: { type: 'thinking_delta', thinking: text } }));
    if (signature) {
      events.push(this.event('content_block_delta', { index: this.index, delta: { type: 'signature_delta', signature } }));
      this.open!.sealed = true;
    }
    return events;
  }

  toolCall({ id, name, arguments: args }: ToolCall): MessageEvent[] {
    this.hasToolUse = true;
    return [
      ...this.closeBlock(),
      this.event('content_block_start', { index: ++this.index, content_block: { type: 'tool_use', id, name, input: {} } }),
      this.event('content_block_delta', { index: this.index, delta: { type: 'input_json_delta', partial_json: JSON.stringify(argumentsObject(args)) } }),
      this.event('content_block_stop', { index: this.index }),
    ];
  }

  /** A stopped reply ends as any other (Anthropic has no stop reason for it), its text being what was sent. */
  done(_messageId: string, usage: Usage | null, _ms?: number, _stopped?: StopReason, _attempts?: readonly ReplyAttempt[], finishReason?: FinishReason): MessageEvent[] {
    return [
      ...(this.hasText || this.hasToolUse ? [] : this.openBlock('text')),
      ...this.closeBlock(),
      this.event('message_delta', { delta: { stop_reason: finishReason ? 'tool_use' : 'end_turn', stop_sequence: null }, usage: usageOf(usage) }),
      this.event('message_stop', {}),
    ];
  }

  error(code: string, message: string): MessageEvent[] {
    return [this.event('error', { error: { type: errorType(code), message } })];
  }

  /** The block of this type, opened unless it is the one open; a signed thinking block is complete, so more thinking opens another. */
  private openBlock(type: 'thinking' | 'text'): MessageEvent[] {
    if (this.open?.type === type && !this.open.sealed) return [];
    const events = this.closeBlock();
    this.open = { type, sealed: false };
    if (type === 'text') this.hasText = true;
    const block = type === 'text' ? { type: 'text', text: '' } : { type: 'thinking', thinking: '', signature: '' };
    events.push(this.event('content_block_start', { index: ++this.index, content_block: block }));
    return events;
  }

  private closeBlock(): MessageEvent[] {
    if (!this.open) return [];
    this.open = null;
    return [this.event('content_block_stop', { index: this.index })];
  }

  private event(type: string, data: object): MessageEvent {
    return { type, data: { type, ...data } };
  }
}

/**
 * A reply's parts as Anthropic content blocks, in order: `thinking` (with its signature; empty when the provider
 * that answered signs nothing), `redacted_thinking` with its data, and the text: at least one text block unless
 * tool_use blocks follow.
 */
type ContentBlock = { type: 'text'; text: string } | { type: 'thinking'; thinking: string; signature: string } | { type: 'redacted_thinking'; data: string };

function contentBlocks(parts: CollectedReply['parts'], toolUseFollows: boolean): ContentBlock[] {
  const blocks = parts.flatMap((part): ContentBlock[] => {
    if (part.type === 'text') return [{ type: 'text', text: part.text }];
    if (part.type !== 'reasoning') return [];
    if (part.metadata?.redactedData) return [{ type: 'redacted_thinking', data: part.metadata.redactedData }];
    return [{ type: 'thinking', thinking: part.text, signature: part.metadata?.signature ?? '' }];
  });
  return toolUseFollows || blocks.some((block) => block.type === 'text') ? blocks : [...blocks, { type: 'text', text: '' }];
}

/** A collected reply as an Anthropic `message`. */
export function anthropicMessage(model: string, reply: Pick<CollectedReply, 'messageId' | 'parts' | 'toolCalls' | 'usage'>) {
  const toolUse = reply.toolCalls.map(({ id, name, arguments: args }) => ({ type: 'tool_use', id, name, input: argumentsObject(args) }));
  return {
    id: `msg_${reply.messageId}`,
    type: 'message',
    role: 'assistant',
    model,
    content: [...contentBlocks(reply.parts, toolUse.length > 0), ...toolUse],
    stop_reason: toolUse.length > 0 ? 'tool_use' : 'end_turn',
    stop_sequence: null,
    usage: usageOf(reply.usage),
  };
}
