import type { ThrottlerStorage } from '@nestjs/throttler';
import type { Redis } from 'ioredis';
import { type ThrottleRecord, throttleRecord } from './throttle-window.js';

/**
 * Counts a hit and reports the window atomically (see throttle-window.ts). Keys: the hit counter and the block
 * marker. Answers hits, the window's time left and the time blocked, in ms.
 */
const INCREMENT = `
local blockedFor = redis.call('PTTL', KEYS[2])
if blockedFor > 0 then
  return {tonumber(redis.call('GET', KEYS[1]) or '0'), redis.call('PTTL', KEYS[1]), blockedFor}
end
local hits = redis.call('INCR', KEYS[1])
if hits == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local expiresIn = redis.call('PTTL', KEYS[1])
if hits > tonumber(ARGV[2]) then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
  return {hits, expiresIn, tonumber(ARGV[3])}
end
return {hits, expiresIn, 0}`;

/** Throttling counters shared by every replica, so a limit holds however the load balancer spreads requests. */
export class RedisThrottlerStorage implements ThrottlerStorage {
  constructor(private readonly redis: Redis) {}

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottleRecord> {
    const base = `throttle:${throttlerName}:${key}`;
    const [hits, windowLeftMs, blockedForMs] = (await this.redis.eval(INCREMENT, 2, `${base}:hits`, `${base}:blocked`, ttl, limit, blockDuration)) as number[];
    return throttleRecord(hits!, windowLeftMs!, blockedForMs!);
  }
}
