import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { ExpiringMap } from '@app/common';
import { type ProviderCredentialEntity, ProviderCredentialsRepository } from '@app/persistence';
import { RedisConnectionsService } from '../redis/redis-connections.service.js';

const CHANGES_CHANNEL = 'providers:changed';
/** A bound for what a missed announcement (Redis reconnecting) can leave stale. */
const TTL_MS = 60_000;
const MAX_ENTRIES = 10_000;

/**
 * The saved provider settings that chat turns read, kept in memory: reading them was on the way to every
 * reply's first token. The key stays sealed here as in the database. A change made by this process is seen at
 * once; with REDIS_URL set, every replica hears of it at once too, and only a missed announcement can leave an
 * entry stale, for at most a minute.
 */
@Injectable()
export class CredentialCache implements OnModuleInit {
  private readonly logger = new Logger(CredentialCache.name);
  private readonly entries = new ExpiringMap<string, ProviderCredentialEntity | null>(MAX_ENTRIES);
  /** Counts forgets, so that a read begun before one does not bring the old row back. */
  private forgets = 0;

  constructor(
    private readonly credentials: ProviderCredentialsRepository,
    private readonly redis: RedisConnectionsService,
  ) {}

  /** Not awaited, like the stop channel: with Redis down at start-up the server still starts. */
  onModuleInit(): void {
    if (!this.redis.client) return;
    this.redis.channels.listen(CHANGES_CHANNEL, (key) => this.forgetLocally(key)).catch((error: unknown) => {
      this.logger.error(`Could not listen for provider setting changes: ${error instanceof Error ? error.message : String(error)}`);
    });
  }

  async find(userId: string, provider: string): Promise<ProviderCredentialEntity | null> {
    const key = cacheKey(userId, provider);
    const cached = this.entries.get(key);
    if (cached !== undefined) return cached;
    const forgetsBefore = this.forgets;
    const credential = await this.credentials.findOwned(userId, provider);
    if (this.forgets === forgetsBefore) this.entries.set(key, credential, Date.now() + TTL_MS);
    return credential;
  }

  /** Call after the settings were written or deleted. */
  async forget(userId: string, provider: string): Promise<void> {
    const key = cacheKey(userId, provider);
    this.forgetLocally(key);
    await this.redis.client?.publish(this.redis.channels.name(CHANGES_CHANNEL), key).catch((error: unknown) => {
      this.logger.warn(`Could not tell other replicas about a settings change: ${error instanceof Error ? error.message : String(error)}`);
    });
  }

  private forgetLocally(key: string): void {
    this.forgets++;
    this.entries.delete(key);
  }
}

const cacheKey = (userId: string, provider: string) => `${userId}:${provider}`;
