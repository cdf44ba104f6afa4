import { Injectable } from '@nestjs/common';
import type { Observable } from 'rxjs';
import type { ChatDelta, ChatProvider, ChatRequest, RequestSent } from '../chat-provider.interface.js';
import { errorFromStreamType } from '../http/upstream-errors.mapper.js';
import { UpstreamHttpClient } from '../http/upstream-http.client.js';
import { reasoningEffort } from '../reasoning.js';
import { openAiMessages, openAiTools } from './openai.messages.js';
import { decodeEvents, joinUrl } from './sse-decoder.js';
import { type ContentSegment, ThinkTagSplitter } from './think-tag.splitter.js';
import { ToolCallNumbering, toolAwareFinish } from './tool-calls.js';

interface OpenAiChunk {
  model?: string;
  /** Reasoning arrives as `reasoning_content` (DeepSeek, many others) or `reasoning` (vLLM, OpenRouter, Ollama). */
  choices?: {
    delta?: { content?: string | null; reasoning_content?: string | null; reasoning?: string | null; tool_calls?: OpenAiToolCallPiece[] | null };
    finish_reason?: string | null;
  }[];
  usage?: {
    prompt_tokens?: number;
    completion_tokens?: number;
    prompt_tokens_details?: { cached_tokens?: number } | null;
    completion_tokens_details?: { reasoning_tokens?: number } | null;
  } | null;
  error?: { type?: string; message?: string };
}

/** A piece of a streamed call: the first of call `index` has its id and name, the next ones more arguments. */
interface OpenAiToolCallPiece {
  index?: number;
  id?: string;
  function?: { name?: string; arguments?: string };
}

/**
 * OpenAI chat.completions streaming, spoken by OpenAI and every OpenAI-compatible provider. Reasoning comes in a
 * field of its own, or as `<think>…</think>` inside the content, which is split out of the answer. Tool calls come
 * as `delta.tool_calls` pieces, passed on as they arrive.
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
          messages: openAiMessages(request.messages),
          stream: true,
          stream_options: { include_usage: true },
          ...(request.temperature !== undefined && { temperature: request.temperature }),
          ...(request.maxTokens !== undefined && { max_tokens: request.maxTokens }),
          ...(reasoningEffort(request.reasoning) && { reasoning_effort: reasoningEffort(request.reasoning) }),
          ...openAiTools(request),
        },
      },
      signal,
      sent,
    );
    const splitter = new ThinkTagSplitter();
    const calls = new ToolCallNumbering();
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
      const pieces = choice?.delta?.tool_calls;
      if (pieces) for (let position = 0; position < pieces.length; position++) emitToolCallPiece(emit, calls, pieces[position]!, position);
      if (choice?.finish_reason) {
        emitSegments(emit, splitter.flush());
        // Some compatible servers (older Ollama, vLLM parsers) end a reply of calls with `stop`.
        emit({ type: 'finish', reason: toolAwareFinish(choice.finish_reason, calls, ['stop', 'tool_calls']), ...(chunk.model && { model: chunk.model }) });
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

/**
 * Loops rather than forEach on the way of every delta: a closure made per delta loses its optimised code at every
 * major GC and is compiled again (bench/README.md, the slow paced rounds).
 */
function emitSegments(emit: (delta: ChatDelta) => void, segments: ContentSegment[]): void {
  for (const segment of segments) emit(segment);
}

/**
 * One streamed piece of a call. A piece with a name starts a call; so does one with a new id and a name under an
 * index already used, as Ollama numbers every call of a parallel batch 0 (servers that repeat the id, or send a
 * fresh id on every piece without the name, continue the call). A server that leaves out `index` (Gemini's
 * compatible endpoint once did) numbers calls by their place in the chunk.
 */
function emitToolCallPiece(emit: (delta: ChatDelta) => void, calls: ToolCallNumbering, piece: OpenAiToolCallPiece, position: number): void {
  const key = piece.index ?? position;
  const name = piece.function?.name;
  const open = calls.find(key);
  const starts = !open || (Boolean(name) && piece.id !== undefined && piece.id !== open.id);
  const index = starts ? calls.start(key, piece.id) : open.index;
  const args = piece.function?.arguments ?? '';
  if (!starts && !args) return;
  emit({ type: 'tool_call', index, ...(starts && piece.id && { id: piece.id }), ...(starts && name && { name }), arguments: args });
}
