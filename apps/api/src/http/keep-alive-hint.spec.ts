import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NextFunction, Request, Response } from 'express';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { keepAliveHint } from './keep-alive-hint.js';

describe('keepAliveHint', () => {
  let server: Server;
  let url: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      keepAliveHint(server)(req as Request, res as Response, (() => undefined) as NextFunction);
      // What a streamed response does, and what made Node leave its own hint out.
      res.writeHead(200, { 'content-type': 'text/event-stream', connection: 'keep-alive' });
      res.end('event: done\n\n');
    });
    server.keepAliveTimeout = 7_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it("gives a response that sets its own Connection header the server's idle timeout", async () => {
    const response = await fetch(url);
    expect(response.headers.get('connection')).toBe('keep-alive');
    expect(response.headers.get('keep-alive')).toBe('timeout=7');
    await response.text();
  });

  it('gives no hint on a connection that closes after the response', async () => {
    const response = await fetch(url, { headers: { connection: 'close' } });
    expect(response.headers.get('keep-alive')).toBeNull();
    await response.text();
  });
});
