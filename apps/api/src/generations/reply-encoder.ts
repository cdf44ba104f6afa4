import type { MessageEvent } from '@nestjs/common';
import type { ChatDelta } from '@app/ai';
import type { ReplyAttempt } from '@app/persistence';

/** A reasoning delta: its text, and the provider's data that may come with it (Anthropic's signature, a redacted block). */
export type ReasoningDelta = Omit<Extract<ChatDelta, { type: 'reasoning' }>, 'type'>;

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
  /** `attempts`: the route the reply took, for protocols that tell it (ours). */
  done(messageId: string, usage: Usage | null, responseTimeMs: number, stopped?: StopReason, attempts?: readonly ReplyAttempt[]): MessageEvent[];
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
