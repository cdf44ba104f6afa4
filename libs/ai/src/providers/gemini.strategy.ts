import { Injectable } from '@nestjs/common';
import type { Observable } from 'rxjs';
import type { ChatDelta, ChatProvider, ChatRequest, RequestSent } from '../chat-provider.interface.js';
import { UpstreamHttpClient } from '../http/upstream-http.client.js';
import { thinkingBudget } from '../reasoning.js';
import { decodeEvents, joinUrl } from './sse-decoder.js';
import { geminiUserParts } from './attachments.js';

interface GeminiChunk {
  /** `thought: true` marks a part as the model's thinking (sent only with thinkingConfig.includeThoughts). */
  candidates?: { content?: { parts?: { text?: string; thought?: boolean }[] }; finishReason?: string }[];
  /** `promptTokenCount` includes the cached tokens; `candidatesTokenCount` leaves out the thinking ones. */
  usageMetadata?: { promptTokenCount?: number; candidatesTokenCount?: number; cachedContentTokenCount?: number; thoughtsTokenCount?: number };
  modelVersion?: string;
  error?: { message?: string; status?: string };
}

/**
 * Gemini streamGenerateContent over SSE. The key goes in a header, never in the URL, so it cannot reach a log.
 * Thoughts come as parts marked `thought`; their tokens are counted apart from candidatesTokenCount, so they are
 * added to the completion tokens, as OpenAI counts reasoning.
 */
@Injectable()
export class GeminiStrategy implements ChatProvider {
  readonly kind = 'gemini';

  constructor(private readonly http: UpstreamHttpClient) {}

  stream(request: ChatRequest, signal: AbortSignal, sent?: RequestSent): Observable<ChatDelta> {
    const system = request.messages.filter((turn) => turn.role === 'system').map((turn) => ({ text: turn.content }));
    const budget = thinkingBudget(request.reasoning);
    const events = this.http.streamEvents(
      {
        provider: this.kind,
        model: request.model,
        url: joinUrl(request.baseUrl, `/models/${encodeURIComponent(request.model)}:streamGenerateContent?alt=sse`),
        headers: request.apiKey ? { 'x-goog-api-key': request.apiKey } : {},
        body: {
          contents: request.messages
            .filter((turn) => turn.role !== 'system')
            .map((turn) => ({ role: turn.role === 'assistant' ? 'model' : 'user', parts: geminiUserParts(turn) })),
          ...(system.length > 0 && { systemInstruction: { parts: system } }),
          generationConfig: {
            ...(request.temperature !== undefined && { temperature: request.temperature }),
            ...(request.maxTokens !== undefined && { maxOutputTokens: request.maxTokens }),
            ...(budget !== undefined && { thinkingConfig: { thinkingBudget: budget, includeThoughts: true } }),
          },
        },
      },
      signal,
      sent,
    );
    return decodeEvents(events, (message, emit) => {
      const chunk = JSON.parse(message.data) as GeminiChunk;
      const candidate = chunk.candidates?.[0];
      for (const part of candidate?.content?.parts ?? []) if (part.text) emit({ type: part.thought ? 'reasoning' : 'text', text: part.text });
      if (!candidate?.finishReason) return;
      emit({ type: 'finish', reason: candidate.finishReason, ...(chunk.modelVersion && { model: chunk.modelVersion }) });
      const usage = chunk.usageMetadata;
      if (usage) {
        const thoughts = usage.thoughtsTokenCount ?? 0;
        emit({
          type: 'usage',
          promptTokens: usage.promptTokenCount ?? 0,
          completionTokens: (usage.candidatesTokenCount ?? 0) + thoughts,
          cachedPromptTokens: usage.cachedContentTokenCount ?? 0,
          reasoningTokens: thoughts,
        });
      }
      return true;
    });
  }
}
