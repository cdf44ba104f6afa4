import type { MessageEvent } from '@nestjs/common';
import { concatMap, type Observable } from 'rxjs';

/** The header the AI SDK's transport checks before reading a UI message stream. */
export const UI_MESSAGE_STREAM_HEADERS = { 'x-vercel-ai-ui-message-stream': 'v1' };

const DONE: MessageEvent = { data: '[DONE]' };

/**
 * Our chat events as the AI SDK's UI message stream protocol (`data:` JSON parts, then `[DONE]`): `session` opens
 * the message (its id is the reply's, `messageMetadata.sessionId` the session to resume or stop) and one text
 * part, `message` deltas fill it, `done` or `error` end it. Replies are generated as chat events, whatever route
 * started them, so the chat and UI routes can follow each other's replies.
 */
class UiMessageStreamTranscoder {
  private textId = '';

  parts(event: MessageEvent): MessageEvent[] {
    if (event.comment !== undefined) return [event];
    const data = event.data as Record<string, unknown>;
    switch (event.type) {
      case 'session':
        this.textId = `text-${data.messageId as string}`;
        return [part({ type: 'start', messageId: data.messageId, messageMetadata: { sessionId: data.sessionId } }), part({ type: 'text-start', id: this.textId })];
      case 'message':
        return [part({ type: 'text-delta', id: this.textId, delta: data.content })];
      case 'done':
        return [part({ type: 'text-end', id: this.textId }), part({ type: 'finish', messageMetadata: { usage: data.usage, stopped: data.stopped === true } }), DONE];
      case 'error':
        return [part({ type: 'error', errorText: data.error }), DONE];
      default:
        return [];
    }
  }
}

const part = (data: object): MessageEvent => ({ data });

export function toUiMessageStream(events: Observable<MessageEvent>): Observable<MessageEvent> {
  const transcoder = new UiMessageStreamTranscoder();
  return events.pipe(concatMap((event) => transcoder.parts(event)));
}
