import type { Observable } from 'rxjs';

export type ChatRole = 'system' | 'user' | 'assistant' | 'tool';

/** A function the model may call. `parameters` is a JSON Schema object, passed to the provider as the client gave it. */
export interface ToolDefinition {
  name: string;
  description?: string;
  parameters: Record<string, unknown>;
}

/** Whether and which tool the model must call: OpenAI's four forms, which every strategy maps to its provider's. */
export type ToolChoice = 'auto' | 'none' | 'required' | { name: string };

/**
 * A complete call: `arguments` is the model's JSON text, passed on as it came (it may not parse). `signature` is
 * Gemini's opaque thoughtSignature of the call, which Gemini 3 requires back with the call on the next request.
 */
export interface ToolCall {
  id: string;
  name: string;
  arguments: string;
  signature?: string;
}

/** A file sent with a user turn, read and type-checked by the caller: `data` is its bytes in base64. */
export interface ChatAttachment {
  mediaType: string;
  data: string;
  filename?: string;
}

/** A thinking block of an earlier reply, sent back only where the provider requires it (Anthropic, on tool turns). */
export interface ReasoningBlock {
  text: string;
  signature?: string;
  redactedData?: string;
}

/**
 * One turn of the context. `content` is the turn's text; the optional fields belong to one role each:
 * `attachments` to a user turn, `toolCalls` and `reasoning` to an assistant turn, `toolCallId` to a tool turn
 * (whose `content` is the tool's result).
 */
export interface ChatTurn {
  role: ChatRole;
  content: string;
  attachments?: ChatAttachment[];
  toolCalls?: ToolCall[];
  reasoning?: ReasoningBlock[];
  toolCallId?: string;
}

export const REASONING_EFFORTS = ['low', 'medium', 'high'] as const;
export type ReasoningEffort = (typeof REASONING_EFFORTS)[number];

/** How much a reasoning model may think; each strategy maps it to its provider's parameter (see reasoning.ts). */
export interface ReasoningOptions {
  effort?: ReasoningEffort;
  budgetTokens?: number;
}

/** Everything a strategy needs for one upstream call; credentials are already decrypted by the caller. */
export interface ChatRequest {
  model: string;
  messages: ChatTurn[];
  temperature?: number;
  maxTokens?: number;
  reasoning?: ReasoningOptions;
  tools?: ToolDefinition[];
  toolChoice?: ToolChoice;
  parallelToolCalls?: boolean;
  apiKey?: string;
  /** Always set: the user's own base URL or the provider's default. */
  baseUrl: string;
}

export type ChatDelta =
  | { type: 'text'; text: string }
  /**
   * A piece of a tool call, as the provider streams it: the first piece of call `index` carries its `id` and
   * `name`, later ones more `arguments` text. A provider that sends calls whole (Gemini) sends one piece each, with
   * the call's `signature` when it has one (see ToolCall). `index` counts the reply's calls 0, 1, 2… in the order
   * they start, whatever numbering the provider uses. Pieces are passed on as they come: nothing is buffered.
   */
  | { type: 'tool_call'; index: number; id?: string; name?: string; arguments: string; signature?: string }
  /**
   * The model's reasoning, apart from its answer. `signature` (Anthropic) seals the thinking block before it, and
   * `redactedData` is a whole redacted_thinking block: both opaque, kept to be sent back verbatim where the
   * provider requires it; such deltas may carry no text.
   */
  | { type: 'reasoning'; text: string; signature?: string; redactedData?: string }
  /**
   * Counted the OpenAI way whatever the wire format: `promptTokens` includes the cached ones, `completionTokens`
   * the reasoning ones; the optional parts are sent when the provider reports them.
   */
  | { type: 'usage'; promptTokens: number; completionTokens: number; cachedPromptTokens?: number; reasoningTokens?: number }
  /**
   * `reason` is the provider's own, except that a reply which ended to have its tool calls run always finishes
   * with TOOL_CALLS_FINISH, whatever the format calls it (Anthropic `tool_use`, Gemini `STOP` after function
   * calls, an OpenAI-compatible server's `stop` after tool calls). `model`: the model that answered, when the
   * provider says (it may name a version of the one asked for).
   */
  | { type: 'finish'; reason: string; model?: string };

/** The finish reason of a reply that ended to have its tool calls run, in every wire format. */
export const TOOL_CALLS_FINISH = 'tool_calls';

/**
 * Wire formats we speak; several provider ids share one kind (all OpenAI-compatible ones). The one list: the
 * type, the API documentation's enum and the registry's start-up check all derive from it.
 */
export const PROVIDER_KINDS = ['openai', 'anthropic', 'gemini', 'echo'] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

/** Tells that an upstream request has left (or never will); calling it more than once does nothing more. */
export type RequestSent = () => void;

export interface ChatProvider {
  readonly kind: ProviderKind;
  /**
   * Cold Observable: subscribing starts the upstream request, unsubscribing or aborting `signal` cancels it.
   * Errors are always UpstreamError. `sent` is called once the request has left for the provider, so that work
   * which must not go before it can wait for it: at once by a strategy that sends none, and also when the request
   * fails or is cancelled before it left, so that nothing waits for it forever.
   */
  stream(request: ChatRequest, signal: AbortSignal, sent?: RequestSent): Observable<ChatDelta>;
}

export const CHAT_PROVIDERS = Symbol('CHAT_PROVIDERS');
