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
 * whole TTL right after the change. Callers that miss while a key is being read wait for that read instead of
 * starting their own: when an entry expires under load, hundreds of requests arrive before the first read ends,
 * and each read took a database connection.
 */
export class ReadThroughCache<K, V> {
  private readonly entries: ExpiringMap<K, V>;
  /** Reads under way, by key; a forget drops them, so whoever asks after it reads again. */
  private readonly reading = new Map<K, Promise<V>>();
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
    const pending = this.reading.get(key);
    if (pending) return pending;
    const read: Promise<V> = this.read(key).finally(() => {
      // A forget may have dropped this read, and another may have begun since.
      if (this.reading.get(key) === read) this.reading.delete(key);
    });
    this.reading.set(key, read);
    return read;
  }

  forget(key: K): void {
    this.forgets++;
    this.entries.delete(key);
    this.reading.delete(key);
  }

  /** For a change that may touch any entry. */
  forgetAll(): void {
    this.forgets++;
    this.entries.clear();
    this.reading.clear();
  }

  private async read(key: K): Promise<V> {
    const forgetsBefore = this.forgets;
    const value = await this.load(key);
    if (this.forgets === forgetsBefore && (this.options.keep?.(value) ?? true)) this.entries.set(key, value, Date.now() + this.options.ttlMs);
    return value;
  }
}
