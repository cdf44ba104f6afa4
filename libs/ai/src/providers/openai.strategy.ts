import { Injectable } from '@nestjs/common';
import type { Observable } from 'rxjs';
import type { ChatDelta, ChatProvider, ChatRequest, RequestSent } from '../chat-provider.interface.js';
import { errorFromStreamType } from '../http/upstream-errors.mapper.js';
import { UpstreamHttpClient } from '../http/upstream-http.client.js';
import { reasoningEffort } from '../reasoning.js';
import { decodeEvents, joinUrl } from './sse-decoder.js';
import { type ContentSegment, ThinkTagSplitter } from './think-tag.splitter.js';
import { openAiUserContent } from './attachments.js';

interface OpenAiChunk {
  model?: string;
  /** Reasoning arrives as `reasoning_content` (DeepSeek, many others) or `reasoning` (vLLM, OpenRouter, Ollama). */
  choices?: { delta?: { content?: string | null; reasoning_content?: string | null; reasoning?: string | null }; finish_reason?: string | null }[];
  usage?: {
    prompt_tokens?: number;
    completion_tokens?: number;
    prompt_tokens_details?: { cached_tokens?: number } | null;
    completion_tokens_details?: { reasoning_tokens?: number } | null;
  } | null;
  error?: { type?: string; message?: string };
}

/**
 * OpenAI chat.completions streaming, spoken by OpenAI and every OpenAI-compatible provider. Reasoning comes in a
 * field of its own, or as `<think>…</think>` inside the content, which is split out of the answer.
 */
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
          messages: request.messages.map((turn) => ({ role: turn.role, content: openAiUserContent(turn) })),
          stream: true,
          stream_options: { include_usage: true },
          ...(request.temperature !== undefined && { temperature: request.temperature }),
          ...(request.maxTokens !== undefined && { max_tokens: request.maxTokens }),
          ...(reasoningEffort(request.reasoning) && { reasoning_effort: reasoningEffort(request.reasoning) }),
        },
      },
      signal,
      sent,
    );
    const splitter = new ThinkTagSplitter();
    const emitSegments = (emit: (delta: ChatDelta) => void, segments: ContentSegment[]) => segments.forEach(({ type, text }) => emit({ type, text }));
    return decodeEvents(events, (message, emit) => {
      if (message.data === '[DONE]') {
        emitSegments(emit, splitter.flush());
        return true;
      }
      const chunk = JSON.parse(message.data) as OpenAiChunk;
      if (chunk.error) throw errorFromStreamType(chunk.error.type, chunk.error.message);
      const choice = chunk.choices?.[0];
      const reasoning = choice?.delta?.reasoning_content || choice?.delta?.reasoning;
      if (reasoning) emit({ type: 'reasoning', text: reasoning });
      if (choice?.delta?.content) emitSegments(emit, splitter.push(choice.delta.content));
      if (choice?.finish_reason) {
        emitSegments(emit, splitter.flush());
        emit({ type: 'finish', reason: choice.finish_reason, ...(chunk.model && { model: chunk.model }) });
      }
      const usage = chunk.usage;
      if (usage) {
        const cached = usage.prompt_tokens_details?.cached_tokens;
        const reasoningTokens = usage.completion_tokens_details?.reasoning_tokens;
        emit({
          type: 'usage',
          promptTokens: usage.prompt_tokens ?? 0,
          completionTokens: usage.completion_tokens ?? 0,
          ...(cached !== undefined && { cachedPromptTokens: cached }),
          ...(reasoningTokens !== undefined && { reasoningTokens }),
        });
      }
    });
  }
}
