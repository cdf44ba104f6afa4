import type { MessageEvent } from '@nestjs/common';
import type { ReplyEncoder, Usage } from '../generations/reply-encoder.js';
import { responseId, type ResponsesRequestDto } from './dto/responses.request.js';
import { openAiErrorType } from './openai-chunk.encoder.js';
import type { CollectedReply } from './openai.service.js';

type ResponseStatus = 'in_progress' | 'completed';

/** What a response echoes of its request. */
type Echoed = Pick<ResponsesRequestDto, 'model' | 'instructions' | 'previous_response_id' | 'store' | 'temperature' | 'max_output_tokens'>;

const outputText = (text: string) => ({ type: 'output_text', text, annotations: [], logprobs: [] });

function outputMessage(messageId: string, status: ResponseStatus, text?: string) {
  return { type: 'message', id: `msg_${messageId}`, status, role: 'assistant', content: text === undefined ? [] : [outputText(text)] };
}

/** A Responses API `response` object. */
export function responseObject(request: Echoed, reply: Pick<CollectedReply, 'sessionId' | 'messageId'>, status: ResponseStatus, text?: string, usage?: Usage | null) {
  const input = usage?.promptTokens ?? 0;
  const output = usage?.completionTokens ?? 0;
  return {
    id: responseId(reply.sessionId, reply.messageId),
    object: 'response',
    created_at: Math.floor(Date.now() / 1000),
    status,
    error: null,
    incomplete_details: null,
    instructions: request.instructions ?? null,
    max_output_tokens: request.max_output_tokens ?? null,
    model: request.model,
    output: text === undefined ? [] : [outputMessage(reply.messageId, 'completed', text)],
    parallel_tool_calls: false,
    previous_response_id: request.previous_response_id ?? null,
    store: request.store !== false,
    temperature: request.temperature ?? null,
    text: { format: { type: 'text' } },
    tool_choice: 'auto',
    tools: [],
    top_p: null,
    truncation: 'disabled',
    usage: usage === undefined ? null : { input_tokens: input, input_tokens_details: { cached_tokens: 0 }, output_tokens: output, output_tokens_details: { reasoning_tokens: usage?.reasoningTokens ?? 0 }, total_tokens: input + output },
    metadata: {},
  };
}

/**
 * A generation as the Responses API's stream: `response.created`, one message with one output_text part
 * (`response.output_text.delta` per delta), `response.completed` with the usage. The text is kept for the
 * `…done` events, which repeat it whole.
 */
export class ResponsesEncoder implements ReplyEncoder {
  private seq = 0;
  private text = '';
  private reply = { sessionId: '', messageId: '' };

  constructor(private readonly request: Echoed) {}

  start(sessionId: string, messageId: string): MessageEvent[] {
    this.reply = { sessionId, messageId };
    const response = responseObject(this.request, this.reply, 'in_progress');
    return [
      this.event('response.created', { response }),
      this.event('response.in_progress', { response }),
      this.event('response.output_item.added', { output_index: 0, item: outputMessage(messageId, 'in_progress') }),
      this.event('response.content_part.added', { ...this.part(), part: outputText('') }),
    ];
  }

  delta(content: string): MessageEvent[] {
    this.text += content;
    return [this.event('response.output_text.delta', { ...this.part(), delta: content, logprobs: [] })];
  }

  /** Text only: the message item opens at once, so a reasoning item cannot come before it (reasoning is saved all the same). */
  reasoning(): MessageEvent[] {
    return [];
  }

  done(_messageId: string, usage: Usage | null): MessageEvent[] {
    return [
      this.event('response.output_text.done', { ...this.part(), text: this.text, logprobs: [] }),
      this.event('response.content_part.done', { ...this.part(), part: outputText(this.text) }),
      this.event('response.output_item.done', { output_index: 0, item: outputMessage(this.reply.messageId, 'completed', this.text) }),
      this.event('response.completed', { response: responseObject(this.request, this.reply, 'completed', this.text, usage) }),
    ];
  }

  /** The Responses `error` event, with an `error` object as chat-completion chunks carry it, so SDKs raise it. */
  error(code: string, message: string): MessageEvent[] {
    return [this.event('error', { code, message, param: null, error: { message, type: openAiErrorType(code), param: null, code } })];
  }

  private part() {
    return { item_id: `msg_${this.reply.messageId}`, output_index: 0, content_index: 0 };
  }

  private event(type: string, data: object): MessageEvent {
    return { type, data: { type, sequence_number: this.seq++, ...data } };
  }
}
