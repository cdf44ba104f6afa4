import type { MessageEvent } from '@nestjs/common';
import { Observable } from 'rxjs';
import type { ReplyAttempt } from '@app/persistence';
import type { ToolCall } from '@app/ai';
import type { EventPosition, FinishReason, ReasoningDelta, ReplyEncoder, StopReason, Usage } from '../generations/reply-encoder.js';

const EVENT_ID = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}):(\d{1,9})$/i;

/** `<generation id>:<sequence number>`, or null when it is not one of our event ids. */
export function parseEventId(raw: string): EventPosition | null {
  const match = EVENT_ID.exec(raw.trim());
  return match ? { generationId: match[1]!.toLowerCase(), seq: Number(match[2]) } : null;
}

/**
 * The wire protocol of a chat stream, in one place: `session`, then `message` per delta of the answer and
 * `reasoning` per delta of the model's reasoning (both `{content}`), `tool_call` `{id, name, arguments}` per tool
 * call once complete, then `done` (`finishReason: 'tool_calls'` when the reply waits for the calls' results) or
 * `error` (and, on the stream that started a new session, perhaps `title`). Event ids name the generation and number its events, so a client
 * that reconnects with Last-Event-ID gets exactly the events it missed, even if the session has started another
 * reply since.
 */
export class ChatEventWriter implements ReplyEncoder {
  private generationId = '';
  private seq = 0;

  start(sessionId: string, messageId: string): MessageEvent[] {
    this.generationId = messageId;
    return [this.event('session', { sessionId, messageId })];
  }

  delta(content: string): MessageEvent[] {
    return [this.event('message', content)];
  }

  /** The text only: a signature or redacted block is the provider's, kept with the saved parts. */
  reasoning({ text }: ReasoningDelta): MessageEvent[] {
    return text ? [this.event('reasoning', text)] : [];
  }

  toolCall({ id, name, arguments: args }: ToolCall): MessageEvent[] {
    return [this.event('tool_call', { id, name, arguments: args })];
  }

  done(messageId: string, usage: Usage | null, responseTimeMs: number, stopped?: StopReason, attempts?: readonly ReplyAttempt[], finishReason?: FinishReason): MessageEvent[] {
    return [
      this.event('done', { messageId, usage, responseTimeMs, ...(stopped && { stopped: true, reason: stopped }), ...(attempts && { attempts }), ...(finishReason && { finishReason }) }),
    ];
  }

  error(code: string, error: string, messageId?: string): MessageEvent[] {
    return [this.event('error', { error, code, ...(messageId && { messageId }) })];
  }

  /** After `done`, on the stream that started a new session only: its generated title. */
  title(title: string): MessageEvent {
    return this.event('title', { title });
  }

  private event(type: string, data: object | string): MessageEvent {
    return new ChatEvent(type, this.generationId, ++this.seq, data);
  }
}

/**
 * One event as a running reply keeps it for clients that reconnect: a reply can have thousands, and thousands
 * of replies run at once, so its id and a delta's `{content}` are built when read rather than stored.
 */
class ChatEvent implements MessageEvent {
  constructor(
    readonly type: string,
    private readonly generationId: string,
    private readonly seq: number,
    /** A delta's text, or the event's data. */
    private readonly payload: object | string,
  ) {}

  get id(): string {
    return `${this.generationId}:${this.seq}`;
  }

  get data(): object {
    return typeof this.payload === 'string' ? { content: this.payload } : this.payload;
  }
}

/** SSE comment lines keep proxies from cutting an idle stream; clients ignore them. */
export const HEARTBEAT: MessageEvent = { comment: 'keep-alive' };

/** One client's view of a generation: its events, with a heartbeat between them for as long as it is open. */
export function withHeartbeat(events: Observable<MessageEvent>, everyMs: number): Observable<MessageEvent> {
  return new Observable<MessageEvent>((subscriber) => {
    const heartbeat = setInterval(() => subscriber.next(HEARTBEAT), everyMs);
    const subscription = events.subscribe(subscriber);
    return () => {
      clearInterval(heartbeat);
      subscription.unsubscribe();
    };
  });
}
