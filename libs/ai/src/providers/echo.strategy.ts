import { Injectable } from '@nestjs/common';
import { concatMap, defer, endWith, from, map, type Observable, of, timer } from 'rxjs';
import type { ChatDelta, ChatProvider, ChatRequest, RequestSent } from '../chat-provider.interface.js';

const WORD_DELAY_MS = 15;

/** Local demo model: no key, no network. Streams "Echo: <your message>" back word by word. */
@Injectable()
export class EchoStrategy implements ChatProvider {
  readonly kind = 'echo';

  /** Nothing to cancel but timers, which unsubscribing clears, so the signal is not needed; nothing is sent anywhere, so `sent` is at once. */
  stream(request: ChatRequest, _signal?: AbortSignal, sent?: RequestSent): Observable<ChatDelta> {
    const question = [...request.messages].reverse().find((turn) => turn.role === 'user')?.content ?? '';
    const words = `Echo: ${question}`.match(/\S+\s*/g) ?? ['Echo:'];
    const promptTokens = Math.ceil(request.messages.reduce((sum, turn) => sum + turn.content.length, 0) / 4);
    const reply = from(words).pipe(
      concatMap((word, index) => (index === 0 ? of(word) : timer(WORD_DELAY_MS).pipe(map(() => word)))),
      map((text): ChatDelta => ({ type: 'text', text })),
      endWith<ChatDelta>({ type: 'finish', reason: 'stop', model: request.model }, { type: 'usage', promptTokens, completionTokens: words.length }),
    );
    return defer(() => {
      sent?.();
      return reply;
    });
  }
}
