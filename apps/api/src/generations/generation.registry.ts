import { Injectable } from '@nestjs/common';
import type { Generation, StopCause } from './generation.js';

/**
 * The generations running in this process, by id and by session: a stop request finds its generation here, and
 * a shutdown stops taking new ones, lets the running ones finish within a grace period, and stops the rest.
 */
@Injectable()
export class GenerationRegistry {
  private readonly running = new Map<string, Generation>();
  private readonly bySession = new Map<string, Generation>();
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

  /** The user's generation running in this session in this process, if any. */
  runningIn(userId: string, sessionId: string): Generation | undefined {
    const generation = this.bySession.get(sessionId);
    return generation?.userId === userId ? generation : undefined;
  }

  /** Whether this process runs a generation of the session, shared through the store or not (a /v1 turn). */
  runsSession(sessionId: string): boolean {
    return this.bySession.has(sessionId);
  }

  add(generation: Generation): void {
    this.running.set(generation.id, generation);
    this.bySession.set(generation.sessionId, generation);
    this.perUser.set(generation.userId, this.runningFor(generation.userId) + 1);
  }

  /** Once it has ended and been saved; a second call does nothing. */
  remove(generation: Generation): void {
    if (!this.running.delete(generation.id)) return;
    if (this.bySession.get(generation.sessionId) === generation) this.bySession.delete(generation.sessionId);
    const left = this.runningFor(generation.userId) - 1;
    if (left > 0) this.perUser.set(generation.userId, left);
    else this.perUser.delete(generation.userId);
    if (this.running.size === 0) this.onEmpty?.();
  }

  /** Stops the session's generation if this process runs it; false when it does not (or it had just ended). */
  async stopSession(sessionId: string, cause: StopCause): Promise<boolean> {
    const generation = this.bySession.get(sessionId);
    return generation ? generation.stop(cause) : false;
  }

  /** Stops every generation of the user that this process runs; resolves once their partial replies are saved. */
  async stopUser(userId: string, cause: StopCause): Promise<number> {
    if (!this.perUser.has(userId)) return 0;
    const stopped = await Promise.all([...this.running.values()].filter((generation) => generation.userId === userId).map((generation) => generation.stop(cause)));
    return stopped.filter(Boolean).length;
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
    await Promise.all(leftover.map((generation) => generation.stop('shutdown')));
    return { finished: before - leftover.length, stopped: leftover.length };
  }
}
