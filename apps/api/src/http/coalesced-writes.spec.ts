import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NextFunction, Request, Response } from 'express';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { Agent, request } from 'undici';
import { coalescePipedWrites, WriteCoalescer } from './coalesced-writes.js';

/** What the server saw of its socket while a stream was piped into the response. */
interface Observed {
  /** A few ticks on: Node's own corking of each write has ended by then. */
  corkedAfterTicks: number;
  corkedAfterTheTurn: number;
}

const afterTicks = (ticks: number, then: () => void): void => (ticks === 0 ? then() : process.nextTick(() => afterTicks(ticks - 1, then)));

describe('coalescePipedWrites', () => {
  let server: Server;
  let url: string;
  const observed: Observed[] = [];
  const agent = new Agent({ connections: 1 });

  beforeAll(async () => {
    server = createServer((req, res) => {
      coalescePipedWrites(req as Request, res as Response, (() => undefined) as NextFunction);
      const events = new PassThrough();
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      events.pipe(res);
      ['one', 'two', 'three'].forEach((name) => events.write(`event: ${name}\n\n`));
      const socket = res.socket!;
      const seen: Observed = { corkedAfterTicks: -1, corkedAfterTheTurn: -1 };
      observed.push(seen);
      afterTicks(5, () => (seen.corkedAfterTicks = socket.writableCorked));
      setImmediate(() => {
        seen.corkedAfterTheTurn = socket.writableCorked;
        events.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(async () => {
    await agent.close();
    await new Promise((resolve) => server.close(resolve));
  });

  it('holds the writes of one turn of the event loop, then lets them go, on a kept-alive socket too', async () => {
    for (let i = 0; i < 2; i++) {
      const response = await request(url, { dispatcher: agent });
      expect(await response.body.text()).toBe('event: one\n\nevent: two\n\nevent: three\n\n');
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(observed).toEqual([
      { corkedAfterTicks: 1, corkedAfterTheTurn: 0 },
      { corkedAfterTicks: 1, corkedAfterTheTurn: 0 },
    ]);
  });
});

describe('WriteCoalescer', () => {
  it('lets the first write of a turn go at once and holds the ones after it until the turn ends', async () => {
    const seen: number[] = [];
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.flushHeaders();
      const coalescer = new WriteCoalescer(res);
      const socket = res.socket!;
      coalescer.beforeWrite();
      res.write('event: alone\n\n');
      afterTicks(5, () => {
        seen.push(socket.writableCorked);
        coalescer.beforeWrite();
        res.write('event: second\n\n');
        coalescer.beforeWrite();
        res.write('event: third\n\n');
        afterTicks(5, () => seen.push(socket.writableCorked));
        setImmediate(() => {
          seen.push(socket.writableCorked);
          res.end();
        });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const response = await request(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      expect(await response.body.text()).toBe('event: alone\n\nevent: second\n\nevent: third\n\n');
      expect(seen).toEqual([0, 1, 0]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
