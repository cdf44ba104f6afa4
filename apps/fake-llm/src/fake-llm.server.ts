import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** How one reply behaves; set per request through the model name (`fake:deltas=5,delay=20`) or per server. */
export interface FakeLlmBehaviour {
  /** Number of content deltas. */
  deltas: number;
  /** Milliseconds between deltas; 0 writes the whole reply at once. */
  delayMs: number;
  /** Milliseconds before the response headers. */
  firstDelayMs: number;
  /** Answer with this status and the provider's error body instead of streaming. */
  failStatus?: number;
  /** With a failure: the Retry-After header, in seconds. */
  retryAfter?: number;
  /** With a failure: only the first this many requests for this model name fail, the next ones answer (a passing outage). */
  failTimes?: number;
  /** Destroy the socket after this many deltas (a connection reset). */
  breakAfter?: number;
  /** End the response cleanly after this many deltas, without the provider's end marker. */
  stopAfter?: number;
  /** Stream non-JSON garbage. */
  garbage?: boolean;
  /** Never answer at all. */
  hang?: boolean;
  /** Send this many deltas, then go silent forever. */
  hangAfter?: number;
  /** With a failure: the error message quotes the key the request carried, spelt out, and internals of its own. */
  leakKey?: boolean;
  /** Send this many deltas, then the provider's in-stream error event (a failure inside a 200 stream). */
  errorAfter?: number;
  /** Characters of each delta (the cycled word, repeated); by default one word. */
  deltaSize?: number;
  /** Deltas written together at each tick (every `delayMs`). */
  burst?: number;
  /** Never stop sending deltas: a hostile or broken provider. */
  endless?: boolean;
  /** After the head, one event of this many bytes written in chunks, never ended: a hostile provider. */
  hugeEventBytes?: number;
  /** Send no token counts at all (as some OpenAI-compatible servers do). */
  omitUsage?: boolean;
  /** Of the prompt tokens, this many reported as read from the provider's cache. */
  cachedTokens?: number;
  /**
   * Reasoning deltas before the answer, in the format's own form: OpenAI `delta.reasoning_content`, an Anthropic
   * thinking block ending with its `signature_delta`, Gemini parts marked `thought`; reported as reasoning tokens on
   * top of the text's (Anthropic counts them in its output tokens only).
   */
  reasoningDeltas?: number;
  /** OpenAI format: the reasoning in `delta.reasoning` (vLLM, OpenRouter) instead. */
  reasoningField?: boolean;
  /** OpenAI format: the reasoning as `<think>…</think>` inside the content, the tags cut across chunks. */
  thinkTags?: boolean;
  /** Anthropic format: a redacted_thinking block after the thinking block. */
  redactedThinking?: boolean;
  /**
   * Tool calls after the text deltas, in the format's own form (see fakeToolCall), the reply then finishing as the
   * format does for calls. Ignored when the request ends with tool results (those are answered with text instead),
   * unless `toolLoop`.
   */
  toolCalls?: number;
  /** Tool results are answered with their echo and new calls too: a tool loop that never ends. */
  toolLoop?: boolean;
  /** Not a knob: the reply's whole text in one delta, set when the request ends with tool results (see echoToolResults). */
  echo?: string;
}

export type FakeProvider = 'openai' | 'anthropic' | 'gemini';

export interface RecordedRequest {
  provider: FakeProvider;
  path: string;
  headers: IncomingMessage['headers'];
  body: any;
  model: string;
  /** The client closed the connection before the reply was complete. */
  closedEarly: boolean;
  /** Resolves once the connection is done with, either way. */
  closed: Promise<void>;
  deltasWritten: number;
  /** The text of the deltas written, up to its first MAX_RECORDED_TEXT characters. */
  text: string;
  /** Bytes of the streamed response body written so far. */
  bytesWritten: number;
  /** The files the request's user turns carried, read from the format's own parts (see `receivedAttachments`). */
  attachments: ReceivedAttachment[];
}

/** A file as it arrived: the part kind of its wire format, its declared type and its decoded size. */
export interface ReceivedAttachment {
  kind: 'image_url' | 'file' | 'image' | 'document' | 'inlineData';
  mediaType: string;
  bytes: number;
}

const decodedSize = (base64: unknown) => (typeof base64 === 'string' ? Buffer.from(base64, 'base64').length : -1);
const DATA_URL = /^data:([^;,]+);base64,(.*)$/s;
const fromDataUrl = (kind: ReceivedAttachment['kind'], url: unknown): ReceivedAttachment => {
  const match = typeof url === 'string' ? DATA_URL.exec(url) : null;
  return { kind, mediaType: match?.[1] ?? 'invalid', bytes: decodedSize(match?.[2]) };
};

/**
 * The files in a request body, in each format's real shape: OpenAI `image_url` (data URL) and `file`
 * ({filename, file_data}) content parts, Anthropic `image` / `document` blocks with a base64 source, Gemini
 * `inlineData` parts. A part of a known kind in another shape is listed with mediaType `invalid`.
 */
export function receivedAttachments(provider: FakeProvider, body: any): ReceivedAttachment[] {
  const parts: any[] =
    provider === 'gemini'
      ? (body?.contents ?? []).flatMap((content: any) => content?.parts ?? [])
      : (body?.messages ?? []).flatMap((message: any) => (Array.isArray(message?.content) ? message.content : []));
  return parts.flatMap((part): ReceivedAttachment[] => {
    if (provider === 'gemini') {
      return part?.inlineData ? [{ kind: 'inlineData', mediaType: String(part.inlineData.mimeType ?? 'invalid'), bytes: decodedSize(part.inlineData.data) }] : [];
    }
    if (provider === 'anthropic') {
      if (part?.type !== 'image' && part?.type !== 'document') return [];
      const base64 = part.source?.type === 'base64';
      return [{ kind: part.type, mediaType: base64 ? String(part.source.media_type) : 'invalid', bytes: base64 ? decodedSize(part.source.data) : -1 }];
    }
    if (part?.type === 'image_url') return [fromDataUrl('image_url', part.image_url?.url)];
    if (part?.type === 'file') return [fromDataUrl('file', part.file?.file_data)];
    return [];
  });
}

/** Endless and huge replies would otherwise grow the record (and the test process holding it) without limit. */
export const MAX_RECORDED_TEXT = 1024 * 1024;

export interface FakeLlmServer {
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** The last recorded request for this model name (knobs included), if any: what a test asserts a request carried. */
  lastRequest(model: string): RecordedRequest | undefined;
  reset(): void;
  close(): Promise<void>;
}

export interface FakeLlmOptions {
  port?: number;
  host?: string;
  defaults?: Partial<FakeLlmBehaviour>;
  /** How many requests to keep in `requests`; 0 keeps none (benchmarks). */
  maxRecorded?: number;
}

const WORDS = ['The', 'quick', 'brown', 'fox', 'jumps', 'over', 'the', 'lazy', 'dog', 'while', 'streaming', 'tokens'];

/** The text of delta `i`: a fixed word list cycled, so tests can compute any expected reply. */
export function deltaText(i: number): string {
  return `${WORDS[i % WORDS.length]} `;
}

/** The whole text of a reply of `deltas` deltas (the default size): what a test expects to see and to find saved. */
export function replyText(deltas: number): string {
  return Array.from({ length: deltas }, (_, i) => deltaText(i)).join('');
}

/** Reasoning delta `i`. */
export function reasoningDeltaText(i: number): string {
  return `Thinking ${i + 1}. `;
}

/** The whole reasoning of `deltas` reasoning deltas. */
export function reasoningText(deltas: number): string {
  return Array.from({ length: deltas }, (_, i) => reasoningDeltaText(i)).join('');
}

/** The signature of the fake's Anthropic thinking block, and the data of its redacted_thinking block (opaque strings, as the real ones are). */
export const FAKE_THINKING_SIGNATURE = 'EqQBCgIYAhIMfakeSignature0123456789abcdef==';
export const FAKE_REDACTED_THINKING = 'EmwKAhgBEgyfakeRedactedThinking0123456789==';

/** The tool a fake call names when the request offered none. */
export const FAKE_TOOL_NAME = 'fake_tool';
/** Gemini format: the thoughtSignature on the first function call of a reply, as Gemini 3 sends it. */
export const FAKE_GEMINI_SIGNATURE = 'CiQBfakeGeminiThoughtSignature0123456789==';
/** A call's arguments are streamed in this many pieces (where the format streams them at all). */
export const TOOL_ARGUMENT_PIECES = 3;

/**
 * Tool call `i` of a reply: the request's tools taken in turn (FAKE_TOOL_NAME without any), arguments that name
 * the call, and the id the format gives it (Gemini gives none).
 */
export function fakeToolCall(i: number, toolNames: string[], provider: FakeProvider): { id?: string; name: string; arguments: string } {
  const ids: Record<FakeProvider, string | undefined> = { openai: `call_fake_${i}`, anthropic: `toolu_fake_${i}`, gemini: undefined };
  const name = toolNames.length > 0 ? toolNames[i % toolNames.length]! : FAKE_TOOL_NAME;
  return { ...(ids[provider] && { id: ids[provider] }), name, arguments: JSON.stringify({ call: i, word: deltaText(i).trim() }) };
}

/** Text cut into `pieces` parts, the way a model streams a call's arguments. */
function cut(text: string, pieces: number): string[] {
  const size = Math.ceil(text.length / pieces);
  return Array.from({ length: pieces }, (_, i) => text.slice(i * size, (i + 1) * size)).filter((piece) => piece !== '');
}

/** The text the fake answers to the tool results a request ends with: `result:<content>` for each, space-separated. */
export function echoToolResults(results: string[]): string {
  return results.map((content) => `result:${content}`).join(' ');
}

/** Delta `i` of `size` characters: its word repeated. */
export function sizedDeltaText(i: number, size: number): string {
  const word = deltaText(i);
  return word.repeat(Math.ceil(size / word.length)).slice(0, size);
}

/** A huge event is written in pieces of this size, as a provider's socket would send it. */
const HUGE_EVENT_CHUNK = 64 * 1024;

const BASE_BEHAVIOUR: FakeLlmBehaviour = { deltas: 8, delayMs: 0, firstDelayMs: 0 };

const KNOBS: Record<string, (behaviour: FakeLlmBehaviour, value: number) => void> = {
  deltas: (b, v) => (b.deltas = v),
  delay: (b, v) => (b.delayMs = v),
  first: (b, v) => (b.firstDelayMs = v),
  fail: (b, v) => (b.failStatus = v),
  retry: (b, v) => (b.retryAfter = v),
  times: (b, v) => (b.failTimes = v),
  break: (b, v) => (b.breakAfter = v),
  stop: (b, v) => (b.stopAfter = v),
  garbage: (b, v) => (b.garbage = v > 0),
  hang: (b, v) => (b.hang = v > 0),
  hangAfter: (b, v) => (b.hangAfter = v),
  leak: (b, v) => (b.leakKey = v > 0),
  errorAfter: (b, v) => (b.errorAfter = v),
  size: (b, v) => (b.deltaSize = v),
  burst: (b, v) => (b.burst = v),
  endless: (b, v) => (b.endless = v > 0),
  huge: (b, v) => (b.hugeEventBytes = v),
  nousage: (b, v) => (b.omitUsage = v > 0),
  cached: (b, v) => (b.cachedTokens = v),
  reasoning: (b, v) => (b.reasoningDeltas = v),
  reasoningField: (b, v) => (b.reasoningField = v > 0),
  think: (b, v) => (b.thinkTags = v > 0),
  redacted: (b, v) => (b.redactedThinking = v > 0),
  tools: (b, v) => (b.toolCalls = v),
  loop: (b, v) => (b.toolLoop = v > 0),
};

/** `fake:deltas=5,delay=20` → behaviour; unknown knobs and non-numeric values are ignored. */
export function parseBehaviour(model: string, defaults: Partial<FakeLlmBehaviour> = {}): FakeLlmBehaviour {
  const behaviour = { ...BASE_BEHAVIOUR, ...defaults };
  const separator = model.indexOf(':');
  if (separator < 0) return behaviour;
  for (const pair of model.slice(separator + 1).split(',')) {
    const [name, raw] = pair.split('=');
    const value = Number(raw);
    const apply = name === undefined ? undefined : KNOBS[name.trim()];
    if (apply && Number.isFinite(value)) apply(behaviour, value);
  }
  return behaviour;
}

/** Rough and deterministic: a quarter of the prompt's characters. */
function promptTokens(body: any): number {
  return Math.max(1, Math.ceil(JSON.stringify(body?.messages ?? body?.contents ?? '').length / 4));
}

/**
 * The token counts a streamed reply reports, or null when it reports none. `prompt` counts every prompt token
 * (`cached` among them), `completion` one per delta, `reasoning` comes on top; each format splits them its way.
 */
export interface FakeUsage {
  prompt: number;
  completion: number;
  cached: number;
  reasoning: number;
}

/** The usage a reply of `behaviour` reports on `body`'s prompt after `deltas` deltas. */
export function fakeUsage(body: unknown, behaviour: FakeLlmBehaviour, deltas: number): FakeUsage | null {
  if (behaviour.omitUsage) return null;
  const prompt = promptTokens(body);
  return { prompt, completion: deltas, cached: Math.min(behaviour.cachedTokens ?? 0, prompt), reasoning: behaviour.reasoningDeltas ?? 0 };
}

/** One provider's wire format: how a reply starts (its reasoning included), how each delta looks, how it ends, how it fails. */
interface WireFormat {
  provider: FakeProvider;
  model(path: string, body: any): string;
  hasKey(request: IncomingMessage, url: URL): boolean;
  streams(body: any, path: string): boolean;
  head(model: string, usage: FakeUsage | null, behaviour: FakeLlmBehaviour): string;
  delta(model: string, text: string, behaviour: FakeLlmBehaviour): string;
  tail(model: string, usage: FakeUsage | null, body: any, behaviour: FakeLlmBehaviour): string;
  /** The names of the tools the request offers. */
  toolNames(body: any): string[];
  /** The contents of the tool results the request's last turn carries, or undefined when it ends otherwise. */
  toolResults(body: any): string[] | undefined;
  complete(model: string, text: string, prompt: number, completion: number): object;
  /** The provider's error body, with its usual message unless one is given. */
  error(status: number, message?: string): object;
}

const sse = (data: unknown) => `data: ${JSON.stringify(data)}\n\n`;
const event = (name: string, data: unknown) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
const bearer = (request: IncomingMessage) => /^Bearer \S+/.test(request.headers.authorization ?? '');

const OPENAI_ERRORS: Record<number, [string, string]> = {
  400: ['invalid_request_error', 'invalid_request'],
  401: ['invalid_request_error', 'invalid_api_key'],
  403: ['invalid_request_error', 'permission_denied'],
  404: ['invalid_request_error', 'model_not_found'],
  429: ['requests', 'rate_limit_exceeded'],
};

const openai: WireFormat = {
  provider: 'openai',
  model: (_path, body) => String(body?.model ?? ''),
  hasKey: bearer,
  streams: (body) => body?.stream === true,
  head: (model, _usage, behaviour) => sse(openaiChunk(model, { role: 'assistant', content: '' }, null)) + openaiReasoning(model, behaviour),
  delta: (model, text) => sse(openaiChunk(model, { content: text }, null)),
  tail: (model, usage, body, behaviour) =>
    openaiToolCalls(model, body, behaviour) +
    sse(openaiChunk(model, {}, behaviour.toolCalls ? 'tool_calls' : 'stop')) +
    (usage && body?.stream_options?.include_usage ? sse({ ...openaiChunk(model, {}, null), choices: [], usage: openaiUsage(usage) }) : '') +
    'data: [DONE]\n\n',
  toolNames: (body) => arrayOf(body?.tools).map((tool) => String(tool?.function?.name ?? '')),
  toolResults: (body) => {
    const messages = arrayOf(body?.messages);
    let first = messages.length;
    while (first > 0 && messages[first - 1]?.role === 'tool') first -= 1;
    return first === messages.length ? undefined : messages.slice(first).map((message) => resultText(message.content));
  },
  complete: (model, text, prompt, completion) => ({
    id: `chatcmpl-${randomUUID()}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    system_fingerprint: null,
    choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null }, logprobs: null, finish_reason: 'stop' }],
    usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
  }),
  error: (status, message) => {
    const [type, code] = OPENAI_ERRORS[status] ?? ['server_error', 'server_error'];
    return { error: { message: message ?? `Fake upstream failure (${status}) for testing`, type, param: null, code } };
  },
};

function openaiUsage({ prompt, completion, cached, reasoning }: FakeUsage) {
  return {
    prompt_tokens: prompt,
    completion_tokens: completion + reasoning,
    total_tokens: prompt + completion + reasoning,
    prompt_tokens_details: { cached_tokens: cached, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: reasoning, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}

/**
 * The reasoning before the answer: `reasoning_content` deltas (DeepSeek), `reasoning` deltas (vLLM, OpenRouter),
 * or `<think>…</think>` in the content with both tags cut in two across chunks, as a tokenizer may cut them.
 */
function openaiReasoning(model: string, behaviour: FakeLlmBehaviour): string {
  const deltas = behaviour.reasoningDeltas ?? 0;
  if (deltas === 0) return '';
  const texts = Array.from({ length: deltas }, (_, i) => reasoningDeltaText(i));
  if (behaviour.thinkTags) {
    return ['<thi', `nk>${texts.join('')}</th`, 'ink>\n\n'].map((content) => sse(openaiChunk(model, { content }, null))).join('');
  }
  const field = behaviour.reasoningField ? 'reasoning' : 'reasoning_content';
  return texts.map((text) => sse(openaiChunk(model, { content: null, [field]: text }, null))).join('');
}

/** Each call's first chunk (id, name, empty arguments), then its arguments in pieces, as OpenAI streams calls. */
function openaiToolCalls(model: string, body: any, behaviour: FakeLlmBehaviour): string {
  let chunks = '';
  for (let i = 0; i < (behaviour.toolCalls ?? 0); i++) {
    const call = fakeToolCall(i, openai.toolNames(body), 'openai');
    chunks += sse(openaiChunk(model, { tool_calls: [{ index: i, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }] }, null));
    for (const piece of cut(call.arguments, TOOL_ARGUMENT_PIECES)) {
      chunks += sse(openaiChunk(model, { tool_calls: [{ index: i, function: { arguments: piece } }] }, null));
    }
  }
  return chunks;
}

const arrayOf = (value: unknown): any[] => (Array.isArray(value) ? value : []);

/** A result's content as text: a string as it is, text blocks joined, anything else as JSON. */
function resultText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((block) => (typeof block?.text === 'string' ? block.text : JSON.stringify(block))).join('');
  return JSON.stringify(content ?? null);
}

function openaiChunk(model: string, delta: object, finish: string | null) {
  return {
    id: 'chatcmpl-fake',
    object: 'chat.completion.chunk',
    created: Math.floor(Date.now() / 1000),
    model,
    system_fingerprint: null,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  };
}

const ANTHROPIC_ERRORS: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  529: 'overloaded_error',
};

const anthropic: WireFormat = {
  provider: 'anthropic',
  model: (_path, body) => String(body?.model ?? ''),
  hasKey: (request) => typeof request.headers['x-api-key'] === 'string' && request.headers['x-api-key'] !== '',
  streams: (body) => body?.stream === true,
  head: (model, usage, behaviour) =>
    event('message_start', {
      type: 'message_start',
      message: {
        id: 'msg_fake',
        type: 'message',
        role: 'assistant',
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        // input_tokens leaves out what was read from (or written to) the cache.
        ...(usage && { usage: { input_tokens: usage.prompt - usage.cached, cache_creation_input_tokens: 0, cache_read_input_tokens: usage.cached, output_tokens: 1 } }),
      },
    }) +
    withPingAfterFirst(
      anthropicThinking(behaviour) +
        event('content_block_start', { type: 'content_block_start', index: anthropicTextIndex(behaviour), content_block: { type: 'text', text: '' } }),
    ),
  delta: (_model, text, behaviour) =>
    event('content_block_delta', { type: 'content_block_delta', index: anthropicTextIndex(behaviour), delta: { type: 'text_delta', text } }),
  tail: (_model, usage, body, behaviour) =>
    event('content_block_stop', { type: 'content_block_stop', index: anthropicTextIndex(behaviour) }) +
    anthropicToolUse(body, behaviour) +
    event('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: behaviour.toolCalls ? 'tool_use' : 'end_turn', stop_sequence: null },
      // Thinking is billed inside output_tokens: Anthropic reports no count of its own for it.
      ...(usage && { usage: { output_tokens: usage.completion + usage.reasoning } }),
    }) +
    event('message_stop', { type: 'message_stop' }),
  toolNames: (body) => arrayOf(body?.tools).map((tool) => String(tool?.name ?? '')),
  toolResults: (body) => {
    const last = arrayOf(body?.messages).at(-1);
    const results = last?.role === 'user' ? arrayOf(last.content).filter((block) => block?.type === 'tool_result') : [];
    return results.length > 0 ? results.map((block) => resultText(block.content ?? '')) : undefined;
  },
  complete: (model, text, prompt, completion) => ({
    id: 'msg_fake',
    type: 'message',
    role: 'assistant',
    model,
    content: [{ type: 'text', text }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: prompt, output_tokens: completion },
  }),
  error: (status, message) => ({ type: 'error', error: { type: ANTHROPIC_ERRORS[status] ?? 'api_error', message: message ?? `Fake upstream failure (${status}) for testing` } }),
};

/** The thinking block (thinking_delta…, then signature_delta just before its stop) and the redacted block, as extended thinking streams them. */
function anthropicThinking(behaviour: FakeLlmBehaviour): string {
  const deltas = behaviour.reasoningDeltas ?? 0;
  let blocks = '';
  if (deltas > 0) {
    blocks += event('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } });
    for (let i = 0; i < deltas; i++) {
      blocks += event('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: reasoningDeltaText(i) } });
    }
    blocks += event('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: FAKE_THINKING_SIGNATURE } });
    blocks += event('content_block_stop', { type: 'content_block_stop', index: 0 });
  }
  if (behaviour.redactedThinking) {
    const index = deltas > 0 ? 1 : 0;
    blocks += event('content_block_start', { type: 'content_block_start', index, content_block: { type: 'redacted_thinking', data: FAKE_REDACTED_THINKING } });
    blocks += event('content_block_stop', { type: 'content_block_stop', index });
  }
  return blocks;
}

/** A tool_use block per call after the text block: its start (id, name, empty input), input_json_delta pieces, its stop. */
function anthropicToolUse(body: any, behaviour: FakeLlmBehaviour): string {
  let blocks = '';
  for (let i = 0; i < (behaviour.toolCalls ?? 0); i++) {
    const index = anthropicTextIndex(behaviour) + 1 + i;
    const call = fakeToolCall(i, anthropic.toolNames(body), 'anthropic');
    blocks += event('content_block_start', { type: 'content_block_start', index, content_block: { type: 'tool_use', id: call.id, name: call.name, input: {} } });
    for (const partial_json of ['', ...cut(call.arguments, TOOL_ARGUMENT_PIECES)]) {
      blocks += event('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json } });
    }
    blocks += event('content_block_stop', { type: 'content_block_stop', index });
  }
  return blocks;
}

/** Anthropic sends its ping after the first block has started. */
function withPingAfterFirst(events: string): string {
  const end = events.indexOf('\n\n') + 2;
  return events.slice(0, end) + event('ping', { type: 'ping' }) + events.slice(end);
}

const anthropicTextIndex = (behaviour: FakeLlmBehaviour) => ((behaviour.reasoningDeltas ?? 0) > 0 ? 1 : 0) + (behaviour.redactedThinking ? 1 : 0);

const GEMINI_STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  503: 'UNAVAILABLE',
};

const GEMINI_ROUTE = /\/models\/(.+):(streamGenerateContent|generateContent)$/;

const gemini: WireFormat = {
  provider: 'gemini',
  model: (path) => decodeURIComponent(GEMINI_ROUTE.exec(path)?.[1] ?? ''),
  hasKey: (request, url) => Boolean(request.headers['x-goog-api-key'] || url.searchParams.get('key')),
  streams: (_body, path) => path.endsWith(':streamGenerateContent'),
  head: (model, _usage, behaviour) =>
    Array.from({ length: behaviour.reasoningDeltas ?? 0 }, (_, i) =>
      sse({ candidates: [{ content: { parts: [{ text: reasoningDeltaText(i), thought: true }], role: 'model' }, index: 0 }], modelVersion: model }),
    ).join(''),
  delta: (model, text) => sse({ candidates: [{ content: { parts: [{ text }], role: 'model' }, index: 0 }], modelVersion: model }),
  tail: (model, usage, body, behaviour) =>
    geminiFunctionCalls(model, body, behaviour) +
    sse({
      candidates: [{ content: { parts: [{ text: '' }], role: 'model' }, finishReason: 'STOP', index: 0 }],
      ...(usage && { usageMetadata: geminiUsage(usage) }),
      modelVersion: model,
    }),
  toolNames: (body) =>
    arrayOf(body?.tools)
      .flatMap((tool) => arrayOf(tool?.functionDeclarations))
      .map((declaration) => String(declaration?.name ?? '')),
  toolResults: (body) => {
    const last = arrayOf(body?.contents).at(-1);
    const responses = arrayOf(last?.parts).filter((part) => part?.functionResponse);
    if (responses.length === 0) return undefined;
    return responses.map(({ functionResponse: { response } }) => (typeof response?.content === 'string' ? response.content : JSON.stringify(response ?? null)));
  },
  complete: (model, text, prompt, completion) => ({
    candidates: [{ content: { parts: [{ text }], role: 'model' }, finishReason: 'STOP', index: 0 }],
    usageMetadata: { promptTokenCount: prompt, candidatesTokenCount: completion, totalTokenCount: prompt + completion },
    modelVersion: model,
  }),
  error: (status, message) => ({ error: { code: status, message: message ?? `Fake upstream failure (${status}) for testing`, status: GEMINI_STATUS[status] ?? 'INTERNAL' } }),
};

/** All the calls in one chunk, each part whole, the first signed as Gemini 3 signs it; the tail then says STOP. */
function geminiFunctionCalls(model: string, body: any, behaviour: FakeLlmBehaviour): string {
  const count = behaviour.toolCalls ?? 0;
  if (count === 0) return '';
  const parts = Array.from({ length: count }, (_, i) => {
    const call = fakeToolCall(i, gemini.toolNames(body), 'gemini');
    return { functionCall: { name: call.name, args: JSON.parse(call.arguments) }, ...(i === 0 && { thoughtSignature: FAKE_GEMINI_SIGNATURE }) };
  });
  return sse({ candidates: [{ content: { parts, role: 'model' }, index: 0 }], modelVersion: model });
}

/** `promptTokenCount` includes the cached tokens; `candidatesTokenCount` leaves out the thinking ones. */
function geminiUsage({ prompt, completion, cached, reasoning }: FakeUsage) {
  return {
    promptTokenCount: prompt,
    candidatesTokenCount: completion,
    totalTokenCount: prompt + completion + reasoning,
    ...(cached > 0 && { cachedContentTokenCount: cached }),
    ...(reasoning > 0 && { thoughtsTokenCount: reasoning }),
  };
}

function formatFor(method: string, path: string): WireFormat | undefined {
  if (method !== 'POST') return undefined;
  if (path.endsWith('/chat/completions')) return openai;
  if (path.endsWith('/messages')) return anthropic;
  if (GEMINI_ROUTE.test(path)) return gemini;
  return undefined;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  response.end(text);
}

/** Streams one reply according to its behaviour, recording what was written and whether the client left early. */
function streamReply(
  format: WireFormat,
  model: string,
  body: any,
  behaviour: FakeLlmBehaviour,
  response: ServerResponse,
  record: RecordedRequest,
  errorMessage: string | undefined,
) {
  const opening = fakeUsage(body, behaviour, 1);
  const deltas = behaviour.endless ? Infinity : behaviour.deltas;
  const limit = Math.min(deltas, behaviour.breakAfter ?? Infinity, behaviour.stopAfter ?? Infinity, behaviour.hangAfter ?? Infinity, behaviour.errorAfter ?? Infinity);
  let timer: NodeJS.Timeout | undefined;
  response.on('close', () => clearTimeout(timer));
  /** Writes body text; calls `then` when the socket can take more (at once, or after a drain): a client that reads slowly slows us down. */
  const send = (text: string, then?: () => void) => {
    record.bytesWritten += Buffer.byteLength(text);
    if (response.write(text)) then?.();
    else if (then) response.once('drain', then);
  };

  response.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
  if (behaviour.garbage) {
    response.end('data: {this is not json\n\ndata: \u0000\u0001garbage\n\n');
    return;
  }

  const finish = () => {
    if (behaviour.breakAfter !== undefined) return void response.socket?.destroy();
    if (behaviour.hangAfter !== undefined) return; // silence, until the client gives up
    if (behaviour.stopAfter !== undefined) return void response.end();
    if (behaviour.errorAfter !== undefined) return void response.end(streamedError(format, errorMessage));
    response.end(format.tail(model, fakeUsage(body, behaviour, record.deltasWritten), body, behaviour));
  };
  // Sized deltas repeat one of a dozen texts: built once per reply rather than per delta.
  const sized = new Map<number, string>();
  const textOf = (i: number) => {
    if (behaviour.echo !== undefined) return behaviour.echo;
    if (behaviour.deltaSize === undefined) return deltaText(i);
    const key = i % WORDS.length;
    if (!sized.has(key)) sized.set(key, sizedDeltaText(key, behaviour.deltaSize));
    return sized.get(key)!;
  };
  const write = (text: string) => {
    record.deltasWritten += 1;
    if (record.text.length < MAX_RECORDED_TEXT) record.text += text.slice(0, MAX_RECORDED_TEXT - record.text.length);
    return format.delta(model, text, behaviour);
  };

  if (behaviour.hugeEventBytes !== undefined) return streamHugeEvent(format, model, opening, behaviour, response, send);
  if (behaviour.delayMs === 0 && Number.isFinite(limit)) {
    let payload = format.head(model, opening, behaviour);
    for (let i = 0; i < limit; i++) payload += write(textOf(i));
    send(payload);
    return finish();
  }
  send(format.head(model, opening, behaviour));
  const burst = Math.max(1, behaviour.burst ?? 1);
  let i = 0;
  const next = () => {
    if (response.destroyed) return;
    if (i >= limit) return finish();
    let payload = '';
    for (let n = 0; n < burst && i < limit; n++) payload += write(textOf(i++));
    send(payload, () => (timer = setTimeout(next, behaviour.delayMs)));
  };
  next();
}

/** A server error reported inside a 200 stream, as the provider does it (Gemini has no such event; its stream just ends). */
function streamedError(format: WireFormat, message: string | undefined): string {
  const error = format.error(500, message);
  return format.provider === 'anthropic' ? event('error', error) : sse(error);
}

/** The credential a request carried, in whichever place its provider expects it. */
function presentedKey(request: IncomingMessage, url: URL): string {
  const bearer = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '')?.[1];
  const header = request.headers['x-api-key'] ?? request.headers['x-goog-api-key'];
  return bearer ?? (typeof header === 'string' ? header : undefined) ?? url.searchParams.get('key') ?? '';
}

/** What a careless provider might answer: the caller's key spelt out a character at a time, and its own internals. */
export function leakyMessage(key: string): string {
  return `Incorrect API key provided: ${[...key].join(' ')}. Internal: shard db-7.corp.internal rejected tenant 42`;
}

/**
 * The head, then the start of a content delta whose text never ends: `bytes` in all, in socket-sized pieces,
 * then silence. A client that buffers a whole event before parsing it holds all of it.
 */
function streamHugeEvent(
  format: WireFormat,
  model: string,
  usage: FakeUsage | null,
  behaviour: FakeLlmBehaviour,
  response: ServerResponse,
  send: (text: string, then?: () => void) => void,
) {
  // The delta's text is replaced by the filler: what precedes it is every format's opening of a text delta.
  const MARK = '<text>';
  const delta = format.delta(model, MARK, behaviour);
  const opening = format.head(model, usage, behaviour) + delta.slice(0, delta.indexOf(MARK));
  const bytes = behaviour.hugeEventBytes ?? 0;
  const piece = 'x'.repeat(HUGE_EVENT_CHUNK);
  let left = bytes - Buffer.byteLength(opening);
  const next = () => {
    if (response.destroyed || left <= 0) return;
    const text = left >= piece.length ? piece : piece.slice(0, left);
    left -= text.length;
    send(text, () => setImmediate(next));
  };
  send(opening, next);
}

export async function startFakeLlm(options: FakeLlmOptions = {}): Promise<FakeLlmServer> {
  const requests: RecordedRequest[] = [];
  const maxRecorded = options.maxRecorded ?? 1000;
  const sockets = new Set<Socket>();
  /** Requests seen per model name, for `times`: a test names its model uniquely (an unknown knob such as `id=...`). */
  const seen = new Map<string, number>();

  const server = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://fake');
    const path = url.pathname;
    if (request.method === 'GET' && path.endsWith('/models')) {
      return sendJson(response, 200, { object: 'list', data: [{ id: 'fake', object: 'model', created: 1700000000, owned_by: 'fake-llm' }] });
    }
    const format = formatFor(request.method ?? 'GET', path);
    if (!format) return sendJson(response, 404, { error: { message: `No fake route for ${request.method} ${path}` } });

    let body: any;
    try {
      body = JSON.parse(await readBody(request));
    } catch {
      return sendJson(response, 400, format.error(400));
    }
    const model = format.model(path, body);
    let markClosed!: () => void;
    const record: RecordedRequest = {
      provider: format.provider,
      path,
      headers: request.headers,
      body,
      model,
      closedEarly: false,
      closed: new Promise<void>((resolve) => (markClosed = resolve)),
      deltasWritten: 0,
      text: '',
      bytesWritten: 0,
      attachments: receivedAttachments(format.provider, body),
    };
    if (maxRecorded > 0) {
      requests.push(record);
      if (requests.length > maxRecorded) requests.shift();
    }
    response.on('close', () => {
      record.closedEarly = !response.writableFinished;
      markClosed();
    });

    const behaviour = parseBehaviour(model, options.defaults);
    const results = format.toolResults(body);
    if (results) Object.assign(behaviour, { echo: echoToolResults(results), deltas: 1, ...(!behaviour.toolLoop && { toolCalls: 0 }) });
    if (behaviour.failTimes !== undefined) {
      const nth = (seen.get(model) ?? 0) + 1;
      seen.set(model, nth);
      if (nth > behaviour.failTimes) behaviour.failStatus = undefined;
    }
    if (!format.hasKey(request, url)) return sendJson(response, 401, format.error(401));
    if (behaviour.hang) return;
    const message = behaviour.leakKey ? leakyMessage(presentedKey(request, url)) : undefined;
    const respond = () => {
      if (response.destroyed) return;
      if (behaviour.failStatus) {
        const headers: Record<string, string> = behaviour.retryAfter !== undefined ? { 'Retry-After': String(behaviour.retryAfter) } : {};
        return sendJson(response, behaviour.failStatus, format.error(behaviour.failStatus, message), headers);
      }
      if (!format.streams(body, path)) {
        const text = Array.from({ length: behaviour.deltas }, (_, i) => deltaText(i)).join('');
        record.deltasWritten = behaviour.deltas;
        record.text = text;
        return sendJson(response, 200, format.complete(model, text, promptTokens(body), behaviour.deltas));
      }
      streamReply(format, model, body, behaviour, response, record, message);
    };
    if (behaviour.firstDelayMs > 0) setTimeout(respond, behaviour.firstDelayMs);
    else respond();
  });
  server.keepAliveTimeout = 65_000;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  // The gateway under benchmark opens thousands of connections to it within seconds: Node's backlog of 511 drops some.
  await new Promise<void>((resolve) => server.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1', backlog: 4096 }, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    requests,
    lastRequest: (model) => requests.findLast((request) => request.model === model),
    reset: () => {
      requests.splice(0);
      seen.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
