import { describe, expect, it } from '@jest/globals';
import { ReadThroughCache } from './read-through-cache.js';

describe('ReadThroughCache', () => {
  it('loads once per key within the TTL', async () => {
    const loads: string[] = [];
    const cache = new ReadThroughCache(async (key: string) => (loads.push(key), key.length), { maxEntries: 10, ttlMs: 60_000 });
    expect(await cache.get('abc')).toBe(3);
    expect(await cache.get('abc')).toBe(3);
    expect(loads).toEqual(['abc']);
  });

  it('does not keep a value read before a forget that happened while it was being read', async () => {
    let value = 'old';
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const cache = new ReadThroughCache(
      async () => {
        const read = value;
        await gate;
        return read;
      },
      { maxEntries: 10, ttlMs: 60_000 },
    );
    const slowRead = cache.get('k');
    value = 'new';
    cache.forget('k');
    release();
    expect(await slowRead).toBe('old');
    expect(await cache.get('k')).toBe('new');
  });

  it('does not keep what `keep` refuses', async () => {
    let loads = 0;
    const cache = new ReadThroughCache(async () => (loads++, null), { maxEntries: 10, ttlMs: 60_000, keep: (value) => value !== null });
    await cache.get('ghost');
    await cache.get('ghost');
    expect(loads).toBe(2);
  });
});
