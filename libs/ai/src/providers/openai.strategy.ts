import { Injectable } from '@nestjs/common';
import type { Observable } from 'rxjs';
import type { ChatDelta, ChatProvider, ChatRequest, RequestSent } from '../chat-provider.interface.js';
import { errorFromStreamType } from '../http/upstream-errors.mapper.js';
import { UpstreamHttpClient } from '../http/upstream-http.client.js';
import { decodeEvents, joinUrl } from './sse-decoder.js';

interface OpenAiChunk {
  model?: string;
  choices?: { delta?: { content?: string | null }; finish_reason?: string | null }[];
  usage?: {
    prompt_tokens?: number;
    completion_tokens?: number;
    prompt_tokens_details?: { cached_tokens?: number } | null;
    completion_tokens_details?: { reasoning_tokens?: number } | null;
  } | null;
  error?: { type?: string; message?: string };
}

/** OpenAI chat.completions streaming, spoken by OpenAI and every OpenAI-compatible provider. */
@Injectable()
export class OpenAiStrategy implements ChatProvider {
  readonly kind = 'openai';

  constructor(private readonly http: UpstreamHttpClient) {}

  stream(request: ChatRequest, signal: AbortSignal, sent?: RequestSent): Observable<ChatDelta> {
    const events = this.http.streamEvents(
      {
        provider: this.kind,
        model: request.model,
        url: joinUrl(request.baseUrl, '/chat/completions'),
        headers: request.apiKey ? { authorization: `Bearer ${request.apiKey}` } : {},
        body: {
          model: request.model,
          messages: request.messages,
          stream: true,
          stream_options: { include_usage: true },
          ...(request.temperature !== undefined && { temperature: request.temperature }),
          ...(request.maxTokens !== undefined && { max_tokens: request.maxTokens }),
        },
      },
      signal,
      sent,
    );
    return decodeEvents(events, (message, emit) => {
      if (message.data === '[DONE]') return true;
      const chunk = JSON.parse(message.data) as OpenAiChunk;
      if (chunk.error) throw errorFromStreamType(chunk.error.type, chunk.error.message);
      const choice = chunk.choices?.[0];
      if (choice?.delta?.content) emit({ type: 'text', text: choice.delta.content });
      if (choice?.finish_reason) emit({ type: 'finish', reason: choice.finish_reason, ...(chunk.model && { model: chunk.model }) });
      const usage = chunk.usage;
      if (usage) {
        const cached = usage.prompt_tokens_details?.cached_tokens;
        const reasoning = usage.completion_tokens_details?.reasoning_tokens;
        emit({
          type: 'usage',
          promptTokens: usage.prompt_tokens ?? 0,
          completionTokens: usage.completion_tokens ?? 0,
          ...(cached !== undefined && { cachedPromptTokens: cached }),
          ...(reasoning !== undefined && { reasoningTokens: reasoning }),
        });
      }
    });
  }
}
