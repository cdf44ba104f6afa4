import { Injectable, Logger } from '@nestjs/common';
import { ExpiringMap } from '@app/common';
import { RedisConnectionsService } from '../redis/redis-connections.service.js';
import type { Cooldowns } from './generation.js';

const KEY_PREFIX = 'routing:cooldown:';
/** A bound on what failing connections (and users' own keys) can make this process remember. */
const MAX_ENTRIES = 10_000;

/**
 * Connections (and users' own keys) that failed recently, passed over by new replies until their cooldown ends.
 * Kept in memory, and in Redis too when REDIS_URL is set, so that one replica's 429 spares every replica the next
 * request; with Redis unreachable each replica goes on with what it saw itself.
 */
@Injectable()
export class RouteCooldowns implements Cooldowns {
  private readonly logger = new Logger(RouteCooldowns.name);
  private readonly local = new ExpiringMap<string, true>(MAX_ENTRIES);

  constructor(private readonly redis: RedisConnectionsService) {}

  coolDown(key: string, ms: number): void {
    this.local.set(key, true, Date.now() + ms);
    this.redis.client?.set(KEY_PREFIX + key, '1', 'PX', ms).catch((error: unknown) => this.report(error));
  }

  /** Which of these keys are cooling down, here or (with Redis) on any replica. */
  async coolingAmong(keys: readonly string[]): Promise<Set<string>> {
    const cooling = new Set(keys.filter((key) => this.local.get(key)));
    const rest = keys.filter((key) => !cooling.has(key));
    if (!this.redis.client || rest.length === 0) return cooling;
    try {
      const found = await this.redis.client.mget(rest.map((key) => KEY_PREFIX + key));
      found.forEach((value, i) => value && cooling.add(rest[i]!));
    } catch (error) {
      this.report(error);
    }
    return cooling;
  }

  private report(error: unknown): void {
    this.logger.warn(`Cooldowns are not shared right now: ${error instanceof Error ? error.message : String(error)}`);
  }
}
