import type { ThrottlerStorage } from '@nestjs/throttler';
import { type ThrottleRecord, throttleRecord } from './throttle-window.js';

interface TrackerWindow {
  hits: number;
  endsAtMs: number;
  blockedUntilMs: number;
}

/** How often windows that have ended are dropped; until then an ended window costs only its entry. */
const SWEEP_EVERY_MS = 60_000;

/**
 * The single-process twin of RedisThrottlerStorage: same fixed window, same blocking, and O(1) per hit.
 * @nestjs/throttler's own in-memory storage keeps every hit's expiry and filters the whole list on each
 * request, which costs in proportion to the limit: visible in profiles at high limits.
 */
export class MemoryThrottlerStorage implements ThrottlerStorage {
  private readonly windows = new Map<string, TrackerWindow>();
  private nextSweepAtMs = 0;

  increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottleRecord> {
    const now = Date.now();
    this.sweep(now);
    const id = `${throttlerName}:${key}`;
    let window = this.windows.get(id);
    if (window && window.blockedUntilMs > now) {
      return Promise.resolve(throttleRecord(window.endsAtMs > now ? window.hits : 0, window.endsAtMs - now, window.blockedUntilMs - now));
    }
    if (!window || window.endsAtMs <= now) {
      window = { hits: 0, endsAtMs: now + ttl, blockedUntilMs: 0 };
      this.windows.set(id, window);
    }
    window.hits++;
    if (window.hits > limit) window.blockedUntilMs = now + blockDuration;
    return Promise.resolve(throttleRecord(window.hits, window.endsAtMs - now, window.hits > limit ? blockDuration : 0));
  }

  private sweep(now: number): void {
    if (now < this.nextSweepAtMs) return;
    this.nextSweepAtMs = now + SWEEP_EVERY_MS;
    for (const [id, window] of this.windows) {
      if (window.endsAtMs <= now && window.blockedUntilMs <= now) this.windows.delete(id);
    }
  }
}
