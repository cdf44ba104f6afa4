import type { EventSourceMessage } from 'eventsource-parser';
import { Observable } from 'rxjs';
import type { ChatDelta } from '../chat-provider.interface.js';
import { UpstreamError } from '../upstream.errors.js';

/** Emits the deltas of one provider event; returns true once the event marks the proper end of the reply. */
export type EventDecoder = (message: EventSourceMessage, emit: (delta: ChatDelta) => void) => boolean | void;

/**
 * Turns a provider's event stream into deltas. A stream that closes before the provider's end marker was
 * seen is a failure (the reply is incomplete), as is an event that does not parse.
 */
export function decodeEvents(events: Observable<EventSourceMessage>, decode: EventDecoder): Observable<ChatDelta> {
  return new Observable<ChatDelta>((subscriber) => {
    let ended = false;
    const emit = (delta: ChatDelta) => subscriber.next(delta);
    const subscription = events.subscribe({
      next: (message) => {
        if (ended) return;
        try {
          if (decode(message, emit) === true) ended = true;
        } catch (error) {
          subscriber.error(error instanceof UpstreamError ? error : new UpstreamError('upstream_error', 'The provider sent a malformed stream'));
        }
      },
      error: (error: unknown) => subscriber.error(error),
      complete: () =>
        ended ? subscriber.complete() : subscriber.error(new UpstreamError('upstream_error', 'The provider closed the stream before the reply was complete')),
    });
    return () => subscription.unsubscribe();
  });
}

export const joinUrl = (base: string, path: string) => `${base.replace(/\/+$/, '')}${path}`;
