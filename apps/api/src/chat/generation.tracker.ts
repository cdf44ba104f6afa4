import { Injectable } from '@nestjs/common';

/** Stops a running generation early, saving what it has; resolves once it is saved and its stream closed. */
export type StopGeneration = () => Promise<void>;

/**
 * The generations running in this process, so a shutdown can stop taking new ones, let the running ones
 * finish within a grace period, and stop (and save) whatever is still running after it.
 */
@Injectable()
export class GenerationTracker {
  private readonly running = new Map<string, StopGeneration>();
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
  add(id: string, userId: string, stop: StopGeneration): () => void {
    this.running.set(id, stop);
    this.perUser.set(userId, this.runningFor(userId) + 1);
    let removed = false;
    return () => {
      if (removed) return;
      removed = true;
      this.running.delete(id);
      const left = this.runningFor(userId) - 1;
      if (left > 0) this.perUser.set(userId, left);
      else this.perUser.delete(userId);
      if (this.running.size === 0) this.onEmpty?.();
    };
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
    await Promise.all(leftover.map((stop) => stop()));
    return { finished: before - leftover.length, stopped: leftover.length };
  }
}
