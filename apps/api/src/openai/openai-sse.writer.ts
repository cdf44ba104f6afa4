import type { MessageEvent } from '@nestjs/common';
import type { Response } from 'express';
import type { Observable } from 'rxjs';
import { WriteCoalescer } from '../http/coalesced-writes.js';

/**
 * /v1/chat/completions answers JSON or, with `stream: true`, SSE in OpenAI's shape (`data:` lines only, then
 * `[DONE]`) from the same route, which `@Sse()` cannot do. This writes that shape; leaving the client
 * unsubscribes, which cancels the upstream request.
 */
export function writeOpenAiStream(response: Response, events: Observable<MessageEvent>): void {
  response.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    'X-Accel-Buffering': 'no',
    Connection: 'keep-alive',
  });
  response.flushHeaders();
  const coalescer = new WriteCoalescer(response);
  const subscription = events.subscribe({
    next: (event) => {
      coalescer.beforeWrite();
      if (event.comment !== undefined) response.write(`: ${event.comment}\n\n`);
      else response.write(`data: ${typeof event.data === 'string' ? event.data : JSON.stringify(event.data)}\n\n`);
    },
    error: () => response.end(),
    complete: () => response.end(),
  });
  response.once('close', () => subscription.unsubscribe());
}
