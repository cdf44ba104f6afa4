import { Injectable } from '@nestjs/common';
import type { Observable } from 'rxjs';
import type { ChatDelta, ChatProvider, ChatRequest, RequestSent } from '../chat-provider.interface.js';
import { errorFromStreamType } from '../http/upstream-errors.mapper.js';
import { UpstreamHttpClient } from '../http/upstream-http.client.js';
import { thinkingBudget } from '../reasoning.js';
import { decodeEvents, joinUrl } from './sse-decoder.js';
import { anthropicUserContent } from './attachments.js';

const API_VERSION = '2023-06-01';
const DEFAULT_MAX_TOKENS = 4096;

/** `input_tokens` leaves out the tokens read from or written to the prompt cache; both are prompt tokens too. */
interface AnthropicUsage {
  input_tokens?: number;
  output_tokens?: number;
  cache_read_input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
}

interface AnthropicEvent {
  type: string;
  message?: { model?: string; usage?: AnthropicUsage };
  content_block?: { type?: string; data?: string };
  delta?: { type?: string; text?: string; thinking?: string; signature?: string; stop_reason?: string | null };
  usage?: AnthropicUsage;
  error?: { type?: string; message?: string };
}

/**
 * Anthropic Messages API streaming: system prompt apart, text in content_block_delta, usage split over two events.
 * Extended thinking: `thinking_delta`s, then the block's `signature_delta`; a `redacted_thinking` block comes whole.
 * The thinking budget counts toward max_tokens, so max_tokens is the answer's allowance plus the budget; and
 * thinking refuses a temperature, which is then not sent.
 */
@Injectable()
export class AnthropicStrategy implements ChatProvider {
  readonly kind = 'anthropic';

  constructor(private readonly http: UpstreamHttpClient) {}

  stream(request: ChatRequest, signal: AbortSignal, sent?: RequestSent): Observable<ChatDelta> {
    const system = request.messages.filter((turn) => turn.role === 'system').map((turn) => turn.content);
    const budget = thinkingBudget(request.reasoning);
    const answerTokens = request.maxTokens ?? DEFAULT_MAX_TOKENS;
    const events = this.http.streamEvents(
      {
        provider: this.kind,
        model: request.model,
        url: joinUrl(request.baseUrl, '/messages'),
        headers: { 'anthropic-version': API_VERSION, ...(request.apiKey && { 'x-api-key': request.apiKey }) },
        body: {
          model: request.model,
          max_tokens: budget === undefined ? answerTokens : budget + answerTokens,
          stream: true,
          messages: request.messages.filter((turn) => turn.role !== 'system').map((turn) => ({ role: turn.role, content: anthropicUserContent(turn) })),
          ...(system.length > 0 && { system: system.join('\n\n') }),
          ...(budget !== undefined && { thinking: { type: 'enabled', budget_tokens: budget } }),
          ...(budget === undefined && request.temperature !== undefined && { temperature: Math.min(request.temperature, 1) }),
        },
      },
      signal,
      sent,
    );
    let prompt: { promptTokens: number; cachedPromptTokens: number } | undefined;
    let model: string | undefined;
    return decodeEvents(events, (message, emit) => {
      const event = JSON.parse(message.data) as AnthropicEvent;
      switch (event.type) {
        case 'message_start':
          if (event.message?.usage) prompt = promptUsage(event.message.usage);
          model = event.message?.model;
          return;
        case 'content_block_start':
          if (event.content_block?.type === 'redacted_thinking' && event.content_block.data) {
            emit({ type: 'reasoning', text: '', redactedData: event.content_block.data });
          }
          return;
        case 'content_block_delta':
          if (event.delta?.type === 'text_delta' && event.delta.text) emit({ type: 'text', text: event.delta.text });
          else if (event.delta?.type === 'thinking_delta' && event.delta.thinking) emit({ type: 'reasoning', text: event.delta.thinking });
          else if (event.delta?.type === 'signature_delta' && event.delta.signature) emit({ type: 'reasoning', text: '', signature: event.delta.signature });
          return;
        case 'message_delta':
          if (event.delta?.stop_reason) emit({ type: 'finish', reason: event.delta.stop_reason, ...(model && { model }) });
          // Cumulative, and it may restate the prompt's counts. A compatible server that sends none gets none passed on.
          if (event.usage?.input_tokens !== undefined) prompt = promptUsage(event.usage);
          if (event.usage || prompt) emit({ type: 'usage', ...(prompt ?? promptUsage({})), completionTokens: event.usage?.output_tokens ?? 0 });
          return;
        case 'message_stop':
          return true;
        case 'error':
          throw errorFromStreamType(event.error?.type, event.error?.message);
        default:
          return;
      }
    });
  }
}

function promptUsage(usage: AnthropicUsage): { promptTokens: number; cachedPromptTokens: number } {
  const cachedPromptTokens = usage.cache_read_input_tokens ?? 0;
  return { promptTokens: (usage.input_tokens ?? 0) + cachedPromptTokens + (usage.cache_creation_input_tokens ?? 0), cachedPromptTokens };
}
