import type { MessageEvent } from '@nestjs/common';
import type { ReplyAttempt } from '@app/persistence';
import type { FinishReason, ReasoningDelta, ReplyEncoder, StopReason, ToolCallDelta, Usage } from '../generations/reply-encoder.js';
import type { CollectedReply } from './openai.service.js';

/** OpenAI's error `type` for one of our stream error codes. */
export function openAiErrorType(code: string): string {
  if (code === 'upstream_auth') return 'authentication_error';
  if (code === 'upstream_rate_limited') return 'rate_limit_error';
  if (code === 'upstream_bad_request') return 'invalid_request_error';
  return 'server_error';
}

/** A generation as OpenAI `chat.completion.chunk` events, ending with `[DONE]`, the way OpenAI clients read it. */
export class OpenAiChunkEncoder implements ReplyEncoder {
  private id = '';
  private contentBefore = '';
  private contentAfter = '';
  private readonly created = Math.floor(Date.now() / 1000);

  constructor(
    private readonly model: string,
    private readonly includeUsage: boolean,
  ) {}

  start(_sessionId: string, messageId: string): MessageEvent[] {
    this.id = `chatcmpl-${messageId}`;
    const opening = this.chunk({ role: 'assistant', content: '' }, null);
    // Every content chunk is this one with another text: serialised once here, each delta only fills in its text.
    const template = JSON.stringify(this.chunk({ content: '' }, null).data);
    const at = template.indexOf('"content":""') + '"content":'.length;
    this.contentBefore = template.slice(0, at);
    this.contentAfter = template.slice(at + 2);
    return [opening];
  }

  /** Already JSON, the same bytes as the chunk object would serialise to: written as it is, whoever follows. */
  delta(content: string): MessageEvent[] {
    return [{ data: this.contentBefore + JSON.stringify(content) + this.contentAfter }];
  }

  /** As DeepSeek and most OpenAI-compatible servers stream it, which OpenAI clients already read. */
  reasoning({ text }: ReasoningDelta): MessageEvent[] {
    return text ? [this.chunk({ reasoning_content: text }, null)] : [];
  }

  /** OpenAI's own form: the first piece of a call with its id, type and name, then more `arguments` text. */
  toolCallDelta({ position, id, name, arguments: args }: ToolCallDelta): MessageEvent[] {
    const call = { index: position, ...(id !== undefined && { id, type: 'function' }), function: { ...(name !== undefined && { name }), arguments: args } };
    return [this.chunk({ tool_calls: [call] }, null)];
  }

  done(_messageId: string, usage: Usage | null, _ms?: number, _stopped?: StopReason, _attempts?: readonly ReplyAttempt[], finishReason?: FinishReason): MessageEvent[] {
    const events = [this.chunk({}, finishReason ?? 'stop')];
    if (this.includeUsage) {
      events.push({ data: { ...this.base(), choices: [], usage: openAiUsage(usage) } });
    }
    events.push({ data: '[DONE]' });
    return events;
  }

  error(code: string, message: string): MessageEvent[] {
    return [{ data: { error: { message, type: openAiErrorType(code), param: null, code } } }];
  }

  private base() {
    return { id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model, system_fingerprint: null };
  }

  private chunk(delta: object, finish: string | null): MessageEvent {
    return { data: { ...this.base(), choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] } };
  }
}

export function openAiUsage(usage: Usage | null) {
  const prompt = usage?.promptTokens ?? 0;
  const completion = usage?.completionTokens ?? 0;
  const reasoning = usage?.reasoningTokens;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    ...(reasoning !== undefined && { completion_tokens_details: { reasoning_tokens: reasoning } }),
  };
}


/** A collected reply as a `chat.completion`. */
export function chatCompletion(model: string, reply: CollectedReply) {
  return {
    id: `chatcmpl-${reply.messageId}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    system_fingerprint: null,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          // OpenAI's: null when the reply only calls tools.
          content: reply.content || (reply.toolCalls.length > 0 ? null : ''),
          ...(reply.reasoning && { reasoning_content: reply.reasoning }),
          ...(reply.toolCalls.length > 0 && { tool_calls: reply.toolCalls.map(({ id, name, arguments: args }) => ({ id, type: 'function', function: { name, arguments: args } })) }),
          refusal: null,
        },
        logprobs: null,
        finish_reason: reply.toolCalls.length > 0 ? 'tool_calls' : 'stop',
      },
    ],
    usage: openAiUsage(reply.usage),
  };
}
