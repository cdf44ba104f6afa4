import { Injectable, type OnModuleInit } from '@nestjs/common';
import { ReadThroughCache } from '@app/common';
import { type ProviderConnectionEntity, ProviderConnectionsRepository } from '@app/persistence';
import { ReplicaAnnouncements } from '../redis/replica-announcements.service.js';

const CHANGES_CHANNEL = 'connections:changed';
/** The one entry: the organisation has a handful of connections, read together. */
const ENABLED = 'enabled';
/** A bound for what a missed announcement (Redis reconnecting) can leave stale. */
const TTL_MS = 60_000;

/**
 * The organisation's enabled connections, kept in memory as CredentialCache keeps users' settings: every turn
 * without its user's own key chooses among them before the first token. Keys stay sealed here. A change on any
 * replica is announced over Redis and forgotten everywhere at once.
 */
@Injectable()
export class ConnectionCache implements OnModuleInit {
  private readonly entries: ReadThroughCache<string, ProviderConnectionEntity[]>;

  constructor(
    connections: ProviderConnectionsRepository,
    private readonly announcements: ReplicaAnnouncements,
  ) {
    this.entries = new ReadThroughCache(() => connections.listEnabled(), { maxEntries: 1, ttlMs: TTL_MS });
  }

  onModuleInit(): void {
    this.announcements.hear(CHANGES_CHANNEL, () => this.entries.forget(ENABLED));
  }

  enabled(): Promise<ProviderConnectionEntity[]> {
    return this.entries.get(ENABLED);
  }

  /** Call after any connection was written or deleted. */
  async forget(): Promise<void> {
    this.entries.forget(ENABLED);
    await this.announcements.announce(CHANGES_CHANNEL, ENABLED);
  }
}
