import type { NextFunction, Request, Response } from 'express';
import type { Server } from 'node:http';

/**
 * Streamed responses set `Connection: keep-alive` themselves (Nest's SSE stream and the /v1 writer do), and
 * Node then leaves out the `Keep-Alive: timeout=` hint it gives other responses. Without it, a client may
 * send its next request on a connection the server is closing as idle, and get a reset: clients such as undici
 * close a connection before the time the hint gives. The hint follows the server's own idle timeout.
 */
export function keepAliveHint(server: Pick<Server, 'keepAliveTimeout'>) {
  return (_request: Request, response: Response, next: NextFunction): void => {
    const seconds = Math.floor(server.keepAliveTimeout / 1000);
    if (seconds > 0 && response.shouldKeepAlive) response.setHeader('Keep-Alive', `timeout=${seconds}`);
    next();
  };
}
