import type { MessageEvent } from '@nestjs/common';
import { AsyncResource } from 'node:async_hooks';
import type { Observable } from 'rxjs';
import type { EventPosition } from '../reply-encoder.js';
import type { GenerationLog } from '../generation-log.js';
import { GenerationStore, type GenerationStoreSettings } from './generation.store.js';

/** Finished generations kept at most, whatever their age: the retention time must not become unbounded memory. */
export const MAX_RETAINED_GENERATIONS = 10_000;

/** The single-process store: generations live in this process's memory. */
export class MemoryGenerationStore extends GenerationStore {
  private readonly running = new Map<string, string>();
  /** The latest generation of each session, running or finished; finished ones in the order they ended. */
  private readonly latest = new Map<string, GenerationLog>();
  /** Each with when its retention time is up (Date.now()), in the order they ended: the order they expire in. */
  private readonly finished = new Map<GenerationLog, number>();
  private retainedWeight = 0;
  /** One timer for every finished generation, due when the oldest expires. */
  private sweep: NodeJS.Timeout | undefined;

  constructor(private readonly settings: GenerationStoreSettings) {
    super();
  }

  async claim(sessionId: string, generationId: string): Promise<boolean> {
    if (this.running.has(sessionId)) return false;
    this.running.set(sessionId, generationId);
    return true;
  }

  /** A single process waits for its own turns (GenerationsService.readRecorded): no other process needs telling. */
  turnWritten(): void {}

  /** The single-process store: there is no other process. */
  async writesTurnElsewhere(): Promise<boolean> {
    return false;
  }

  async runningAmong(sessionIds: readonly string[]): Promise<ReadonlySet<string>> {
    return new Set(sessionIds.filter((sessionId) => this.running.has(sessionId)));
  }

  publish(log: GenerationLog): void {
    this.latest.set(log.sessionId, log);
    log.watch(log.length).subscribe({ complete: () => this.retire(log) });
  }

  async follow(sessionId: string, after?: EventPosition): Promise<Observable<MessageEvent> | null> {
    const log = this.latest.get(sessionId);
    if (!log) return null;
    const skip = after?.generationId === log.generationId ? after.seq : 0;
    return log.ended && skip >= log.length ? null : log.watch(skip);
  }

  async stopElsewhere(): Promise<boolean> {
    return false;
  }

  private retire(log: GenerationLog): void {
    if (this.running.get(log.sessionId) === log.generationId) this.running.delete(log.sessionId);
    this.finished.set(log, Date.now() + this.settings.retentionMs);
    this.scheduleSweep();
    this.retainedWeight += log.weight;
    // The count alone is no bound: 10,000 replies at the reply limit would be gigabytes. The default budget (64 Mi)
    // keeps thousands of ordinary replies for their reconnects, or a few hundred cut off at the reply limit.
    while (this.finished.size > MAX_RETAINED_GENERATIONS || this.retainedWeight > this.settings.retentionMaxChars) {
      this.forget(this.finished.keys().next().value!);
    }
  }

  /**
   * Bound to the context the store was made in, outside any request: a timer keeps the async context it was made
   * in, and a timer made per reply as it ended kept that request's logger and context for the retention time (two
   * pino loggers and their store per kept reply, about 9,500 replies at once in the bench's open-stream levels).
   */
  private readonly scheduleSweep = AsyncResource.bind(() => {
    if (this.sweep) return;
    const oldest = this.finished.values().next();
    if (oldest.done) return;
    this.sweep = setTimeout(() => {
      this.sweep = undefined;
      const now = Date.now();
      for (const [log, expiresAt] of this.finished) {
        if (expiresAt > now) break;
        this.forget(log);
      }
      this.scheduleSweep();
      // At least 0: the oldest may expire before this runs (the sweep above took a millisecond), and Node answers a
      // negative delay with a warning on stderr, outside the JSON log.
    }, Math.max(0, oldest.value - Date.now())).unref();
  });

  private forget(log: GenerationLog): void {
    if (!this.finished.delete(log)) return;
    this.retainedWeight -= log.weight;
    if (this.latest.get(log.sessionId) === log) this.latest.delete(log.sessionId);
  }
}
