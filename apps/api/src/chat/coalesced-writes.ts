import type { NextFunction, Request, Response } from 'express';
import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';

/**
 * Returns a function to call before each write: what is written in the same turn of the event loop then leaves
 * in one socket write instead of one each. A provider often sends many deltas in one read, and Node's own
 * corking lasts a tick while Nest writes each SSE event a tick after the previous one, so every event was a
 * syscall of its own: a fifth of the gateway's CPU, and most of it at saturation.
 *
 * The socket, not the response, is corked and uncorked: a kept-alive socket outlives its response, and must
 * not stay corked for the next request on it.
 */
export function coalesceWrites(response: ServerResponse): () => void {
  let held = false;
  return () => {
    const socket = response.socket;
    if (held || !socket || socket.destroyed) return;
    held = true;
    socket.cork();
    setImmediate(() => {
      held = false;
      socket.uncork();
    });
  };
}

/**
 * Middleware for the responses a stream is piped into (Nest's `@Sse()` responses): their headers and the
 * events of each turn of the event loop leave in one socket write. Other responses are left as they are.
 */
export function coalescePipedWrites(_request: Request, response: Response, next: NextFunction): void {
  response.once('pipe', (source: Readable) => {
    const hold = coalesceWrites(response);
    hold();
    source.on('data', hold);
  });
  next();
}
