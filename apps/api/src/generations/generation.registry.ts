import { Injectable } from '@nestjs/common';
import type { StopReason } from './reply-encoder.js';

/** Why this process stops a generation early: on request, or because the server is going away. */
export type StopCause = StopReason | 'shutdown';

/** Stops a running generation early, saving what it has; resolves once it is saved (false if it had already ended). */
export type StopGeneration = (cause: StopCause) => Promise<boolean>;

/**
 * The generations running in this process, by id and by session: a stop request finds its generation here, and
 * a shutdown stops taking new ones, lets the running ones finish within a grace period, and stops the rest.
 */
@Injectable()
export class GenerationRegistry {
  private readonly running = new Map<string, StopGeneration>();
  private readonly bySession = new Map<string, string>();
  private readonly perUser = new Map<string, number>();
  private onEmpty?: () => void;
  private draining = false;

  get accepting(): boolean {
    return !this.draining;
  }

  /** Generations this user has running in this process. */
  runningFor(userId: string): number {
    return this.perUser.get(userId) ?? 0;
  }

  /** Registers a generation; call the returned function once it has ended and been saved. */
  add(id: string, userId: string, sessionId: string, stop: StopGeneration): () => void {
    this.running.set(id, stop);
    this.bySession.set(sessionId, id);
    this.perUser.set(userId, this.runningFor(userId) + 1);
    let removed = false;
    return () => {
      if (removed) return;
      removed = true;
      this.running.delete(id);
      if (this.bySession.get(sessionId) === id) this.bySession.delete(sessionId);
      const left = this.runningFor(userId) - 1;
      if (left > 0) this.perUser.set(userId, left);
      else this.perUser.delete(userId);
      if (this.running.size === 0) this.onEmpty?.();
    };
  }

  /** Stops the session's generation if this process runs it; false when it does not (or it had just ended). */
  async stopSession(sessionId: string, cause: StopCause): Promise<boolean> {
    const id = this.bySession.get(sessionId);
    const stop = id && this.running.get(id);
    return stop ? stop(cause) : false;
  }

  async drain(graceMs: number): Promise<{ finished: number; stopped: number }> {
    this.draining = true;
    const before = this.running.size;
    if (before > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => (this.onEmpty = resolve)),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs))),
      ]);
      clearTimeout(timer);
    }
    const leftover = [...this.running.values()];
    await Promise.all(leftover.map((stop) => stop('shutdown')));
    return { finished: before - leftover.length, stopped: leftover.length };
  }
}
