import type { MessageEvent } from '@nestjs/common';
import type { ChatDelta, ToolCall } from '@app/ai';
import type { ReplyAttempt } from '@app/persistence';

/** A reasoning delta: its text, and the provider's data that may come with it (Anthropic's signature, a redacted block). */
export type ReasoningDelta = Omit<Extract<ChatDelta, { type: 'reasoning' }>, 'type'>;

/** A piece of a tool call as a protocol relays it: `position` numbers the reply's calls from 0. */
export interface ToolCallDelta {
  position: number;
  id?: string;
  name?: string;
  arguments: string;
}

/** How a reply that ran to its end finished, when it matters to a client: it asks for its tool calls' results. */
export type FinishReason = 'tool_calls';

/** Why a reply was stopped before its end by a client, as its final event and saved row tell. */
export type StopReason = 'user' | 'client_disconnected';

export interface Usage {
  promptTokens: number;
  completionTokens: number;
  /** Of the completion tokens, those spent reasoning, when the provider says. */
  reasoningTokens?: number;
}

/**
 * Turns one generation's moments into wire events; one implementation per protocol the gateway speaks (our chat
 * stream, OpenAI's chunks, Anthropic's messages). Generations know only this interface, never a protocol's framing.
 */
export interface ReplyEncoder {
  /** Several events where a protocol opens a reply in steps (Anthropic: the message, then its blocks). */
  start(sessionId: string, messageId: string): MessageEvent[];
  /** The delta's event, after any that open its part (Anthropic: a text block after a thinking block). */
  delta(content: string): MessageEvent[];
  /** The model's reasoning; none where a protocol has no place for it, or for provider data it does not carry. */
  reasoning(delta: ReasoningDelta): MessageEvent[];
  /**
   * A piece of a tool call as it streams (OpenAI's `delta.tool_calls`), for protocols that relay calls piece by
   * piece; the first piece of a call carries its id and name.
   */
  toolCallDelta?(delta: ToolCallDelta): MessageEvent[];
  /** A tool call once complete, for protocols that announce calls whole (ours, Anthropic's tool_use blocks). */
  toolCall?(call: ToolCall, position: number): MessageEvent[];
  /** `attempts`: the route the reply took, for protocols that tell it (ours); `finishReason` when it asks for tool results. */
  done(messageId: string, usage: Usage | null, responseTimeMs: number, stopped?: StopReason, attempts?: readonly ReplyAttempt[], finishReason?: FinishReason): MessageEvent[];
  error(code: string, error: string, messageId?: string): MessageEvent[];
}

/** Where a client is in a generation's events: the generation, and how many of its events it has. */
export interface EventPosition {
  generationId: string;
  seq: number;
}

/** `done` and `error` end a generation's events. */
export function isFinal(event: MessageEvent): boolean {
  return event.type === 'done' || event.type === 'error';
}
