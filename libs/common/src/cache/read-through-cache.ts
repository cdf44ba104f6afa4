import { ExpiringMap } from './expiring-map.js';

export interface ReadThroughCacheOptions<V> {
  /** Past it, the oldest entry goes: the cache must not grow with the number of users. */
  maxEntries: number;
  ttlMs: number;
  /** Whether a loaded value is kept (say, not a missing row); every value is, by default. */
  keep?: (value: V) => boolean;
}

/**
 * Values read from the database, kept for a while in memory, and forgotten when they change. A read that began
 * before a forget does not keep what it read: it may be the old value, which would otherwise come back for a
 * whole TTL right after the change.
 */
export class ReadThroughCache<K, V> {
  private readonly entries: ExpiringMap<K, V>;
  private forgets = 0;

  constructor(
    private readonly load: (key: K) => Promise<V>,
    private readonly options: ReadThroughCacheOptions<V>,
  ) {
    this.entries = new ExpiringMap(options.maxEntries);
  }

  async get(key: K): Promise<V> {
    const cached = this.entries.get(key);
    if (cached !== undefined) return cached;
    const forgetsBefore = this.forgets;
    const value = await this.load(key);
    if (this.forgets === forgetsBefore && (this.options.keep?.(value) ?? true)) this.entries.set(key, value, Date.now() + this.options.ttlMs);
    return value;
  }

  forget(key: K): void {
    this.forgets++;
    this.entries.delete(key);
  }

  /** For a change that may touch any entry. */
  forgetAll(): void {
    this.forgets++;
    this.entries.clear();
  }
}
