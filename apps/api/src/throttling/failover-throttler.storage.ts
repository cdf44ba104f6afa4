import { Logger } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { RedisConnectionsService } from '../redis/redis-connections.service.js';
import type { ThrottleRecord } from './throttle-window.js';

/** After a failed or timed-out call, how long hits are counted locally before Redis is tried again. */
const RETRY_REDIS_AFTER_MS = 5_000;

/**
 * Shared counters while Redis answers, this process's own while it does not. The guard runs on every route, so
 * failing closed would turn a Redis outage into an outage of the whole API, login and session lists included;
 * instead limits hold per replica until Redis is back (each replica allows the full limit meanwhile). Each switch
 * is logged once.
 */
export class FailoverThrottlerStorage implements ThrottlerStorage {
  private readonly logger = new Logger('Throttling');
  private local = false;
  private retryRedisAtMs = 0;

  constructor(
    private readonly redis: RedisConnectionsService,
    private readonly shared: ThrottlerStorage,
    private readonly fallback: ThrottlerStorage,
  ) {}

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottleRecord> {
    if (this.redis.available && Date.now() >= this.retryRedisAtMs) {
      try {
        const record = await this.shared.increment(key, ttl, limit, blockDuration, throttlerName);
        if (this.local) this.logger.warn('Redis is back: throttling limits are shared by every replica again');
        this.local = false;
        return record;
      } catch (error) {
        this.retryRedisAtMs = Date.now() + RETRY_REDIS_AFTER_MS;
        this.fallBack(error instanceof Error ? error.message : String(error));
      }
    } else {
      this.fallBack('not connected');
    }
    return this.fallback.increment(key, ttl, limit, blockDuration, throttlerName);
  }

  private fallBack(reason: string): void {
    if (this.local) return;
    this.local = true;
    this.logger.error(`Redis is unavailable (${reason}): throttling limits are counted by each replica until it is back`);
  }
}
