import type { NextFunction, Request, Response } from 'express';
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';

/**
 * Puts the writes of one turn of the event loop into one socket write. A provider often sends many deltas in
 * one read, and Node's own corking lasts a tick while Nest writes each SSE event a tick after the previous
 * one, so every event was a syscall of its own: a fifth of the gateway's CPU, and most of it at saturation.
 *
 * The first write of a turn still leaves at once: a delta that arrives alone (the usual case with a paced
 * provider) must not wait for the end of a busy turn. Only what follows it in the same turn is held, until
 * `setImmediate`. The socket, not the response, is corked and uncorked: a kept-alive socket outlives its
 * response, and must not stay corked for the next request on it.
 */
export class WriteCoalescer {
  /**
   * The coalescers written to in this turn of the event loop, whose turn one `setImmediate` ends for all of them:
   * a paced stream starts a turn with nearly every delta, and an immediate and a closure each time cost more than
   * the write they guard.
   */
  private static turnWriters: WriteCoalescer[] = [];
  private static readonly endTurns = () => {
    const writers = WriteCoalescer.turnWriters;
    WriteCoalescer.turnWriters = [];
    for (const writer of writers) writer.endTurn();
  };

  private writesThisTurn = 0;
  private corked: Socket | null = null;

  constructor(private readonly response: ServerResponse) {}

  /** Call before each write. */
  beforeWrite(): void {
    if (this.writesThisTurn++ === 0) this.startTurn();
    else this.cork();
  }

  /** Holds everything written from now to the end of this turn: the headers leave with the first events. */
  holdTurn(): void {
    if (this.writesThisTurn++ === 0) this.startTurn();
    this.cork();
  }

  private startTurn(): void {
    if (WriteCoalescer.turnWriters.push(this) === 1) setImmediate(WriteCoalescer.endTurns);
  }

  private endTurn(): void {
    this.writesThisTurn = 0;
    this.corked?.uncork();
    this.corked = null;
  }

  private cork(): void {
    const socket = this.response.socket;
    if (this.corked || !socket || socket.destroyed) return;
    socket.cork();
    this.corked = socket;
  }
}

/**
 * Middleware for the responses a stream is piped into (Nest's `@Sse()` responses): their headers leave with
 * their first event, and events written in a burst leave together. Other responses are left as they are.
 */
export function coalescePipedWrites(_request: Request, response: Response, next: NextFunction): void {
  response.once('pipe', (source: Readable) => {
    const coalescer = new WriteCoalescer(response);
    coalescer.holdTurn();
    source.on('data', () => coalescer.beforeWrite());
  });
  next();
}
