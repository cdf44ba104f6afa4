import { Injectable, type OnModuleInit } from '@nestjs/common';
import { ReadThroughCache } from '@app/common';
import { type ProviderCredentialEntity, ProviderCredentialsRepository } from '@app/persistence';
import { ReplicaAnnouncements } from '../redis/replica-announcements.service.js';

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
  private readonly entries: ReadThroughCache<string, ProviderCredentialEntity | null>;

  constructor(
    credentials: ProviderCredentialsRepository,
    private readonly announcements: ReplicaAnnouncements,
  ) {
    this.entries = new ReadThroughCache(
      (key) => {
        const [userId, provider] = key.split(':') as [string, string];
        return credentials.findOwned(userId, provider);
      },
      { maxEntries: MAX_ENTRIES, ttlMs: TTL_MS },
    );
  }

  onModuleInit(): void {
    this.announcements.hear(CHANGES_CHANNEL, (key) => this.entries.forget(key));
  }

  find(userId: string, provider: string): Promise<ProviderCredentialEntity | null> {
    return this.entries.get(cacheKey(userId, provider));
  }

  /** Call after the settings were written or deleted. */
  async forget(userId: string, provider: string): Promise<void> {
    const key = cacheKey(userId, provider);
    this.entries.forget(key);
    await this.announcements.announce(CHANGES_CHANNEL, key);
  }
}

/** A user id (a uuid) and a provider name: neither holds a colon. */
const cacheKey = (userId: string, provider: string) => `${userId}:${provider}`;
