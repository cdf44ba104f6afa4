import type { MessageEvent } from '@nestjs/common';
import type { Response } from 'express';
import type { Observable } from 'rxjs';
import { WriteCoalescer } from './coalesced-writes.js';

/**
 * The /v1 routes (and the AI SDK's UI message stream) answer JSON or, with `stream: true`, SSE from the same route, which `@Sse()` cannot do, and
 * without ids: OpenAI's shape is `data:` lines only (then `[DONE]`), Anthropic's and the Responses API's add an
 * `event:` line (an encoder's event `type`). This writes either; leaving the client unsubscribes, which cancels
 * the upstream request.
 */
export function writeEventStream(response: Response, events: Observable<MessageEvent>, headers: Record<string, string> = {}): void {
  response.writeHead(200, {
    ...headers,
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    'X-Accel-Buffering': 'no',
    Connection: 'keep-alive',
  });
  // The headers go out now, so the client sees the answer start before the provider's first byte, but in the same
  // socket write as whatever this turn of the event loop writes after them (a role chunk, an early refusal).
  const coalescer = new WriteCoalescer(response);
  coalescer.holdTurn();
  response.flushHeaders();
  const subscription = events.subscribe({
    next: (event) => {
      coalescer.beforeWrite();
      if (event.comment !== undefined) response.write(`: ${event.comment}\n\n`);
      else {
        const data = `data: ${typeof event.data === 'string' ? event.data : JSON.stringify(event.data)}\n\n`;
        response.write(event.type === undefined ? data : `event: ${event.type}\n${data}`);
      }
    },
    error: () => response.end(),
    complete: () => response.end(),
  });
  response.once('close', () => subscription.unsubscribe());
}
