import type { ThrottlerStorage } from '@nestjs/throttler';

/** What a storage answers for a hit (the library does not export the type by name). */
export type ThrottleRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/**
 * Both throttler storages count hits the same way: a fixed window of `ttl` ms opened by a tracker's first hit;
 * the hit that passes the limit blocks the tracker for `blockDuration` ms, and hits while blocked are not counted.
 * Each answers what @nestjs/throttler expects, in seconds.
 */
export function throttleRecord(hits: number, windowLeftMs: number, blockedForMs: number): ThrottleRecord {
  return { totalHits: hits, timeToExpire: toSeconds(windowLeftMs), isBlocked: blockedForMs > 0, timeToBlockExpire: toSeconds(blockedForMs) };
}

const toSeconds = (ms: number) => Math.ceil(Math.max(ms, 0) / 1000);
