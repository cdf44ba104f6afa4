import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { ExpiringMap } from './expiring-map.js';

describe('ExpiringMap', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('returns an entry until its own expiry, then forgets it', () => {
    jest.useFakeTimers({ now: 1_000 });
    const map = new ExpiringMap<string, string>(10);
    map.set('short', 'a', 1_500);
    map.set('long', 'b', 5_000);
    expect(map.get('short')).toBe('a');
    jest.setSystemTime(1_500);
    expect(map.get('short')).toBeUndefined();
    expect(map.get('long')).toBe('b');
  });

  it('drops the oldest entry past its bound; setting a key again makes it the newest', () => {
    const map = new ExpiringMap<string, number>(2);
    const later = Date.now() + 60_000;
    map.set('a', 1, later);
    map.set('b', 2, later);
    map.set('a', 3, later);
    map.set('c', 4, later);
    expect([map.get('a'), map.get('b'), map.get('c')]).toEqual([3, undefined, 4]);
  });
});
