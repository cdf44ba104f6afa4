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

  it('shares a read under way among the callers that miss meanwhile, and shares its failure too', async () => {
    let loads = 0;
    let release!: (value: number) => void;
    let fail!: (error: Error) => void;
    const cache = new ReadThroughCache(() => (loads++, new Promise<number>((resolve, reject) => ((release = resolve), (fail = reject)))), { maxEntries: 10, ttlMs: 60_000 });
    const waiting = [cache.get('k'), cache.get('k'), cache.get('k')];
    release(7);
    expect(await Promise.all(waiting)).toEqual([7, 7, 7]);
    expect(loads).toBe(1);

    cache.forget('k');
    const failing = [cache.get('k'), cache.get('k')];
    fail(new Error('database down'));
    await expect(Promise.all(failing)).rejects.toThrow('database down');
    expect(loads).toBe(2);
    // A failed read is not kept, nor waited for: the next caller reads again.
    const next = cache.get('k');
    release(8);
    expect(await next).toBe(8);
    expect(loads).toBe(3);
  });

  it('lets a caller after a forget read afresh rather than wait for the read that began before it', async () => {
    let value = 'old';
    const releases: (() => void)[] = [];
    const cache = new ReadThroughCache(
      async () => {
        const read = value;
        await new Promise<void>((resolve) => releases.push(resolve));
        return read;
      },
      { maxEntries: 10, ttlMs: 60_000 },
    );
    const before = cache.get('k');
    value = 'new';
    cache.forget('k');
    const after = cache.get('k');
    // A forget of another key while both read leaves this key's latest read shared.
    cache.forget('other');
    const joined = cache.get('k');
    releases.forEach((release) => release());
    expect(await Promise.all([before, after, joined])).toEqual(['old', 'new', 'new']);
    expect(releases).toHaveLength(2);
  });
});
