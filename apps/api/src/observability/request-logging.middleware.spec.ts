import { describe, expect, it, jest } from '@jest/globals';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { redactUrl, requestLogging } from './request-logging.middleware.js';

describe('redactUrl', () => {
  it.each([
    ['/api/chat/sessions/1/stream?token=eyJ.a.b', '/api/chat/sessions/1/stream?token=[redacted]'],
    ['/x?access_token=eyJ.a.b&limit=5', '/x?access_token=[redacted]&limit=5'],
    ['/x?API_KEY=sk-1&Key=k2&apikey=k3', '/x?API_KEY=[redacted]&Key=[redacted]&apikey=[redacted]'],
    ['/x?token=a&token=b&token=c', '/x?token=[redacted]&token=[redacted]&token=[redacted]'],
    ['/x?ac%63ess_token=eyJ.a.b', '/x?ac%63ess_token=[redacted]'],
    ['/x?access%5Ftoken=eyJ.a.b', '/x?access%5Ftoken=[redacted]'],
    ['/x?token[]=a&token%5B0%5D=b', '/x?token[]=[redacted]&token%5B0%5D=[redacted]'],
    ['/x?token%3DeyJ.a.b', '/x?[redacted]=[redacted]'],
    ['/x?%E0%A4%A=secret', '/x?%E0%A4%A=[redacted]'],
    ['/x?lastEventId=abc:1&limit=20', '/x?lastEventId=abc:1&limit=20'],
    ['/api/auth/oidc/callback?code=c1&state=s1&iss=https%3A%2F%2Fidp', '/api/auth/oidc/callback?code=[redacted]&state=[redacted]&iss=https%3A%2F%2Fidp'],
    ['/x?CODE=c1&state[]=s1&session_state=s2&codes=1', '/x?CODE=[redacted]&state[]=[redacted]&session_state=s2&codes=1'],
    ['/api/health', '/api/health'],
  ])('%s → %s', (url, logged) => {
    expect(redactUrl(url)).toBe(logged);
  });
});

describe('requestLogging', () => {
  /**
   * One GET through the middleware to a handler answering `status`, logged by a root at `level` into `lines`; the
   * handler sets the user as the auth guard does, counting how often it is read.
   */
  async function serve(level: string, status: number) {
    const lines: Record<string, unknown>[] = [];
    const root = pino({ level }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
    const middleware = requestLogging(root);
    // Counted per request: pino-http makes a child of the root when it is set up.
    const child = jest.spyOn(Object.getPrototypeOf(root) as typeof root, 'child');
    let userReads = 0;
    const server = createServer((req, res) =>
      middleware(req, res, () => {
        Object.defineProperty(req, 'user', { get: () => (userReads++, { id: 'user-1' }) });
        res.statusCode = status;
        res.end();
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/x`);
      await response.text();
      // pino-http logs on the response's 'finish', which may come just after the client has read it.
      await new Promise((resolve) => setTimeout(resolve, 20));
      return { lines, children: child.mock.calls.length, userReads };
    } finally {
      child.mockRestore();
      server.close();
    }
  }

  it('logs each request at its level, with its user, from the one child logger of the request', async () => {
    const ok = await serve('info', 200);
    expect(ok.lines).toEqual([expect.objectContaining({ level: 30, userId: 'user-1', req: expect.objectContaining({ method: 'GET', url: '/x' }), res: { statusCode: 200 } })]);
    expect(ok.children).toBe(1);
    const missing = await serve('info', 404);
    expect(missing.lines).toEqual([expect.objectContaining({ level: 40, userId: 'user-1' })]);
    expect(missing.children).toBe(1);
  });

  it('builds nothing for a line the level drops', async () => {
    const dropped = await serve('warn', 200);
    expect(dropped.lines).toEqual([]);
    expect(dropped.userReads).toBe(0);
    const logged = await serve('warn', 404);
    expect(logged.lines).toEqual([expect.objectContaining({ level: 40, userId: 'user-1' })]);
    expect(logged.userReads).toBe(1);
  });
});
