import type { MessageEvent } from '@nestjs/common';
import type { ReasoningDelta, ReplyEncoder, Usage } from '../generations/reply-encoder.js';
import { responseId, type ResponsesRequestDto } from './dto/responses.request.js';
import { openAiErrorType } from './openai-chunk.encoder.js';
import type { CollectedReply } from './openai.service.js';

type ResponseStatus = 'in_progress' | 'completed';

/** What a response echoes of its request. */
type Echoed = Pick<ResponsesRequestDto, 'model' | 'instructions' | 'previous_response_id' | 'store' | 'temperature' | 'max_output_tokens'>;

const outputText = (text: string) => ({ type: 'output_text', text, annotations: [], logprobs: [] });
const summaryText = (text: string) => ({ type: 'summary_text', text });

function outputMessage(id: string, status: ResponseStatus, text?: string) {
  return { type: 'message', id, status, role: 'assistant', content: text === undefined ? [] : [outputText(text)] };
}

/** A reasoning item: the model's reasoning as its summary (one summary_text part), which SDKs show as reasoning. */
function outputReasoning(id: string, text?: string) {
  return { type: 'reasoning', id, summary: text === undefined ? [] : [summaryText(text)] };
}

/** The reply's output items, in order: a reasoning item when the model reasoned, then the message. */
function outputOf(messageId: string, text: string, reasoning: string) {
  return [...(reasoning ? [outputReasoning(`rs_${messageId}`, reasoning)] : []), outputMessage(`msg_${messageId}`, 'completed', text)];
}

/** A Responses API `response` object; `reasoning` (the model's, when it gave some) becomes a reasoning item before the message. */
export function responseObject(
  request: Echoed,
  reply: Pick<CollectedReply, 'sessionId' | 'messageId'>,
  status: ResponseStatus,
  text?: string,
  usage?: Usage | null,
  reasoning = '',
  output?: object[],
) {
  const input = usage?.promptTokens ?? 0;
  const outputTokens = usage?.completionTokens ?? 0;
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
    output: output ?? (text === undefined ? [] : outputOf(reply.messageId, text, reasoning)),
    parallel_tool_calls: false,
    previous_response_id: request.previous_response_id ?? null,
    store: request.store !== false,
    temperature: request.temperature ?? null,
    text: { format: { type: 'text' } },
    tool_choice: 'auto',
    tools: [],
    top_p: null,
    truncation: 'disabled',
    usage:
      usage === undefined
        ? null
        : {
            input_tokens: input,
            input_tokens_details: { cached_tokens: 0 },
            output_tokens: outputTokens,
            output_tokens_details: { reasoning_tokens: usage?.reasoningTokens ?? 0 },
            total_tokens: input + outputTokens,
          },
    metadata: {},
  };
}

/** The output item being written: its index in `output`, and the text it has so far. */
interface OpenItem {
  kind: 'reasoning' | 'message';
  id: string;
  index: number;
  text: string;
}

/**
 * A generation as the Responses API's stream: `response.created`, then output items in the order the model wrote
 * them, each opened when its kind begins and closed when the other takes over or the reply ends: reasoning as a
 * `reasoning` item with one summary part (`response.reasoning_summary_text.delta` per delta, as OpenAI streams a
 * reasoning model's summary, the form SDKs read as reasoning), the answer as a `message` item with one output_text
 * part (`response.output_text.delta`); `response.completed` with every item and the usage. A reply always ends
 * with a message item, empty if the model wrote no text. The signature of a thinking block and a redacted block are
 * the provider's (OpenAI's encrypted_content is only sent when asked for, and is not ours to fill): not streamed.
 */
export class ResponsesEncoder implements ReplyEncoder {
  private seq = 0;
  private reply = { sessionId: '', messageId: '' };
  private open: OpenItem | null = null;
  /** The closed items, whole, for `response.completed`. */
  private readonly output: object[] = [];

  constructor(private readonly request: Echoed) {}

  start(sessionId: string, messageId: string): MessageEvent[] {
    this.reply = { sessionId, messageId };
    const response = responseObject(this.request, this.reply, 'in_progress');
    return [this.event('response.created', { response }), this.event('response.in_progress', { response })];
  }

  delta(content: string): MessageEvent[] {
    const events = this.openItem('message');
    this.open!.text += content;
    events.push(this.event('response.output_text.delta', { ...this.textPart(), delta: content, logprobs: [] }));
    return events;
  }

  reasoning({ text }: ReasoningDelta): MessageEvent[] {
    if (!text) return [];
    const events = this.openItem('reasoning');
    this.open!.text += text;
    events.push(this.event('response.reasoning_summary_text.delta', { ...this.summaryPart(), delta: text }));
    return events;
  }

  done(_messageId: string, usage: Usage | null): MessageEvent[] {
    const events = this.open?.kind === 'message' ? [] : this.openItem('message');
    events.push(...this.closeItem());
    events.push(this.event('response.completed', { response: responseObject(this.request, this.reply, 'completed', undefined, usage, '', this.output) }));
    return events;
  }

  /** The Responses `error` event, with an `error` object as chat-completion chunks carry it, so SDKs raise it. */
  error(code: string, message: string): MessageEvent[] {
    return [this.event('error', { code, message, param: null, error: { message, type: openAiErrorType(code), param: null, code } })];
  }

  /** Closes the open item unless it is of this kind, then opens one of this kind: the events that took. */
  private openItem(kind: OpenItem['kind']): MessageEvent[] {
    if (this.open?.kind === kind) return [];
    const events = this.closeItem();
    const index = this.output.length;
    // A reply may reason again after some text: each item gets an id of its own, the first of a kind the plain one.
    const first = !this.output.some((item) => (item as { type: string }).type === kind);
    const id = `${kind === 'message' ? 'msg' : 'rs'}_${this.reply.messageId}${first ? '' : `_${index}`}`;
    this.open = { kind, id, index, text: '' };
    if (kind === 'message') {
      events.push(this.event('response.output_item.added', { output_index: index, item: outputMessage(id, 'in_progress') }));
      events.push(this.event('response.content_part.added', { ...this.textPart(), part: outputText('') }));
    } else {
      events.push(this.event('response.output_item.added', { output_index: index, item: outputReasoning(id) }));
      events.push(this.event('response.reasoning_summary_part.added', { ...this.summaryPart(), part: summaryText('') }));
    }
    return events;
  }

  private closeItem(): MessageEvent[] {
    const item = this.open;
    if (!item) return [];
    this.open = null;
    if (item.kind === 'message') {
      const done = outputMessage(item.id, 'completed', item.text);
      this.output.push(done);
      const part = { item_id: item.id, output_index: item.index, content_index: 0 };
      return [
        this.event('response.output_text.done', { ...part, text: item.text, logprobs: [] }),
        this.event('response.content_part.done', { ...part, part: outputText(item.text) }),
        this.event('response.output_item.done', { output_index: item.index, item: done }),
      ];
    }
    const done = outputReasoning(item.id, item.text);
    this.output.push(done);
    const part = { item_id: item.id, output_index: item.index, summary_index: 0 };
    return [
      this.event('response.reasoning_summary_text.done', { ...part, text: item.text }),
      this.event('response.reasoning_summary_part.done', { ...part, part: summaryText(item.text) }),
      this.event('response.output_item.done', { output_index: item.index, item: done }),
    ];
  }

  private textPart() {
    return { item_id: this.open!.id, output_index: this.open!.index, content_index: 0 };
  }

  private summaryPart() {
    return { item_id: this.open!.id, output_index: this.open!.index, summary_index: 0 };
  }

  private event(type: string, data: object): MessageEvent {
    return { type, data: { type, sequence_number: this.seq++, ...data } };
  }
}
