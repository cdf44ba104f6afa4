import type { MessageEvent } from '@nestjs/common';
import { concatMap, type Observable } from 'rxjs';

/** The header the AI SDK's transport checks before reading a UI message stream. */
export const UI_MESSAGE_STREAM_HEADERS = { 'x-vercel-ai-ui-message-stream': 'v1' };

const DONE: MessageEvent = { data: '[DONE]' };

/**
 * Our chat events as the AI SDK's UI message stream protocol (`data:` JSON parts, then `[DONE]`): `session` opens
 * the message (its id is the reply's, `messageMetadata.sessionId` the session to resume or stop); `message` and
 * `reasoning` deltas fill text and reasoning parts, each opened when its kind begins and ended when the other
 * kind takes over, so the parts keep the order the model wrote them in; a complete `tool_call` is a dynamic tool
 * part awaiting its output (the results go through the tool-results route); `done` or `error` end it. Replies are
 * generated as chat events, whatever route started them, so the chat and UI routes can follow each other's replies.
 */
class UiMessageStreamTranscoder {
  private messageId = '';
  private open: { kind: 'text' | 'reasoning'; id: string } | null = null;
  private opened = 0;

  parts(event: MessageEvent): MessageEvent[] {
    if (event.comment !== undefined) return [event];
    const data = event.data as Record<string, unknown>;
    switch (event.type) {
      case 'session':
        this.messageId = data.messageId as string;
        return [part({ type: 'start', messageId: data.messageId, messageMetadata: { sessionId: data.sessionId } })];
      case 'message':
        return this.delta('text', data.content);
      case 'reasoning':
        return this.delta('reasoning', data.content);
      case 'tool_call':
        // Dynamic: the page need not declare the tools the request offered to show the call.
        return [...this.close(), part({ type: 'tool-input-available', toolCallId: data.id, toolName: data.name, input: toolInput(data.arguments as string), dynamic: true })];
      case 'done':
        return [
          ...this.close(),
          part({ type: 'finish', ...(data.finishReason === 'tool_calls' && { finishReason: 'tool-calls' }), messageMetadata: { usage: data.usage, stopped: data.stopped === true } }),
          DONE,
        ];
      case 'error':
        return [part({ type: 'error', errorText: data.error }), DONE];
      default:
        return [];
    }
  }

  private delta(kind: 'text' | 'reasoning', delta: unknown): MessageEvent[] {
    const events: MessageEvent[] = [];
    if (this.open?.kind !== kind) {
      events.push(...this.close());
      this.open = { kind, id: `${kind}-${this.messageId}-${this.opened++}` };
      events.push(part({ type: `${kind}-start`, id: this.open.id }));
    }
    events.push(part({ type: `${kind}-delta`, id: this.open.id, delta }));
    return events;
  }

  private close(): MessageEvent[] {
    const open = this.open;
    this.open = null;
    return open ? [part({ type: `${open.kind}-end`, id: open.id })] : [];
  }
}

const part = (data: object): MessageEvent => ({ data });

/** A call's arguments as the input the AI SDK shows: their JSON, or the text itself when the model wrote no JSON. */
function toolInput(args: string): unknown {
  try {
    return JSON.parse(args);
  } catch {
    return args;
  }
}

export function toUiMessageStream(events: Observable<MessageEvent>): Observable<MessageEvent> {
  const transcoder = new UiMessageStreamTranscoder();
  return events.pipe(concatMap((event) => transcoder.parts(event)));
}
