import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { Observable } from 'rxjs';
import type { ChatDelta, ChatProvider, ChatRequest, RequestSent } from '../chat-provider.interface.js';
import { UpstreamHttpClient } from '../http/upstream-http.client.js';
import { thinkingBudget } from '../reasoning.js';
import { geminiContents, geminiTools } from './gemini.messages.js';
import { decodeEvents, joinUrl } from './sse-decoder.js';
import { ToolCallNumbering, toolAwareFinish } from './tool-calls.js';

/** A call comes whole in one part; Gemini 3 signs it with a `thoughtSignature` beside it. */
interface GeminiPart {
  text?: string;
  thought?: boolean;
  functionCall?: { id?: string; name?: string; args?: Record<string, unknown> };
  thoughtSignature?: string;
}

interface GeminiChunk {
  /** `thought: true` marks a part as the model's thinking (sent only with thinkingConfig.includeThoughts). */
  candidates?: { content?: { parts?: GeminiPart[] }; finishReason?: string }[];
  /** `promptTokenCount` includes the cached tokens; `candidatesTokenCount` leaves out the thinking ones. */
  usageMetadata?: { promptTokenCount?: number; candidatesTokenCount?: number; cachedContentTokenCount?: number; thoughtsTokenCount?: number };
  modelVersion?: string;
  error?: { message?: string; status?: string };
}

/**
 * Gemini streamGenerateContent over SSE. The key goes in a header, never in the URL, so it cannot reach a log.
 * Thoughts come as parts marked `thought`; their tokens are counted apart from candidatesTokenCount, so they are
 * added to the completion tokens, as OpenAI counts reasoning. Function calls come whole, often without an id,
 * which the strategy then makes up so that the call's result can be matched to it; a reply that called functions
 * says STOP, which is passed on as tool_calls.
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
          contents: geminiContents(request.messages),
          ...(system.length > 0 && { systemInstruction: { parts: system } }),
          generationConfig: {
            ...(request.temperature !== undefined && { temperature: request.temperature }),
            ...(request.maxTokens !== undefined && { maxOutputTokens: request.maxTokens }),
            ...(budget !== undefined && { thinkingConfig: { thinkingBudget: budget, includeThoughts: true } }),
          },
          ...geminiTools(request),
        },
      },
      signal,
      sent,
    );
    const calls = new ToolCallNumbering();
    return decodeEvents(events, (message, emit) => {
      const chunk = JSON.parse(message.data) as GeminiChunk;
      const candidate = chunk.candidates?.[0];
      for (const part of candidate?.content?.parts ?? []) {
        if (part.text) emit({ type: part.thought ? 'reasoning' : 'text', text: part.text });
        if (part.functionCall) {
          const { id = `call_${randomBytes(12).toString('hex')}`, name, args } = part.functionCall;
          // Calls never continue across parts, so every one starts under the same key.
          emit({
            type: 'tool_call',
            index: calls.start(0, id),
            id,
            ...(name && { name }),
            arguments: JSON.stringify(args ?? {}),
            ...(part.thoughtSignature && { signature: part.thoughtSignature }),
          });
        }
      }
      if (!candidate?.finishReason) return;
      emit({ type: 'finish', reason: toolAwareFinish(candidate.finishReason, calls, ['STOP']), ...(chunk.modelVersion && { model: chunk.modelVersion }) });
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
