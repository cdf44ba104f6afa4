import { afterAll, describe, expect, it, jest } from '@jest/globals';
import type { ThrottlerStorage } from '@nestjs/throttler';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { RedisConnectionsService } from '../redis/redis-connections.service.js';
import { FailoverThrottlerStorage } from './failover-throttler.storage.js';
import { MemoryThrottlerStorage } from './memory-throttler.storage.js';
import { RedisThrottlerStorage } from './redis-throttler.storage.js';
import { describeWith, REDIS } from '../../../../test/helpers/suite-requirements.js';

const REDIS_URL = process.env.TEST_REDIS_URL;
const redis = REDIS_URL ? new Redis(REDIS_URL) : undefined;
afterAll(() => redis?.disconnect());

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** The same contract for both storages; Redis needs a real server (TEST_REDIS_URL, as in CI). */
const storageContract = (create: () => ThrottlerStorage) => () => {
  const tracker = () => `tracker-${randomUUID()}`;

  it('counts the hits of a window and reports the time it has left', async () => {
    const storage = create();
    const key = tracker();
    for (let hit = 1; hit <= 3; hit++) {
      expect(await storage.increment(key, 60_000, 5, 60_000, 'default')).toEqual({ totalHits: hit, timeToExpire: 60, isBlocked: false, timeToBlockExpire: 0 });
    }
  });

  it('blocks the hit past the limit for the block duration, and does not count hits while blocked', async () => {
    const storage = create();
    const key = tracker();
    await storage.increment(key, 60_000, 2, 30_000, 'default');
    await storage.increment(key, 60_000, 2, 30_000, 'default');
    expect(await storage.increment(key, 60_000, 2, 30_000, 'default')).toEqual({ totalHits: 3, timeToExpire: 60, isBlocked: true, timeToBlockExpire: 30 });
    expect(await storage.increment(key, 60_000, 2, 30_000, 'default')).toEqual({ totalHits: 3, timeToExpire: 60, isBlocked: true, timeToBlockExpire: 30 });
  });

  it('starts a new window once the last one has ended', async () => {
    const storage = create();
    const key = tracker();
    await storage.increment(key, 200, 5, 200, 'default');
    await storage.increment(key, 200, 5, 200, 'default');
    await sleep(300);
    expect(await storage.increment(key, 200, 5, 200, 'default')).toMatchObject({ totalHits: 1, isBlocked: false });
  });

  it('stays blocked past the end of the window, until the block ends', async () => {
    const storage = create();
    const key = tracker();
    await storage.increment(key, 200, 1, 1_500, 'default');
    expect(await storage.increment(key, 200, 1, 1_500, 'default')).toMatchObject({ isBlocked: true });
    await sleep(400);
    const blocked = await storage.increment(key, 200, 1, 1_500, 'default');
    expect(blocked).toMatchObject({ totalHits: 0, timeToExpire: 0, isBlocked: true });
    expect(blocked.timeToBlockExpire).toBeGreaterThan(0);
    await sleep(1_200);
    expect(await storage.increment(key, 200, 1, 1_500, 'default')).toEqual({ totalHits: 1, timeToExpire: 1, isBlocked: false, timeToBlockExpire: 0 });
  });

  it('keeps trackers and throttlers apart', async () => {
    const storage = create();
    const [alice, bob] = [tracker(), tracker()];
    await storage.increment(alice, 60_000, 1, 60_000, 'stream');
    expect(await storage.increment(alice, 60_000, 1, 60_000, 'stream')).toMatchObject({ isBlocked: true });
    expect(await storage.increment(alice, 60_000, 1, 60_000, 'default')).toMatchObject({ totalHits: 1, isBlocked: false });
    expect(await storage.increment(bob, 60_000, 1, 60_000, 'stream')).toMatchObject({ totalHits: 1, isBlocked: false });
  });
};

describe('memory throttler storage', storageContract(() => new MemoryThrottlerStorage()));
describeWith(REDIS)('redis throttler storage', storageContract(() => new RedisThrottlerStorage(redis!)));

describe('memory throttler storage sweep', () => {
  it('drops ended windows but keeps a tracker that is still blocked', async () => {
    jest.useFakeTimers({ now: Date.parse('2026-01-01T00:00:00Z') });
    try {
      const storage = new MemoryThrottlerStorage();
      await storage.increment('blocked', 1_000, 1, 3_600_000, 'default');
      await storage.increment('blocked', 1_000, 1, 3_600_000, 'default');
      await storage.increment('idle', 1_000, 1, 1_000, 'default');
      jest.setSystemTime(Date.now() + 120_000); // past both windows and the sweep interval
      await storage.increment('someone else', 1_000, 1, 1_000, 'default'); // sweeps
      expect((storage as unknown as { windows: Map<string, unknown> }).windows.size).toBe(2);
      expect(await storage.increment('blocked', 1_000, 1, 3_600_000, 'default')).toMatchObject({ isBlocked: true });
      expect(await storage.increment('idle', 1_000, 1, 1_000, 'default')).toMatchObject({ totalHits: 1, isBlocked: false });
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('failover throttler storage', () => {
  const record = { totalHits: 99, timeToExpire: 60, isBlocked: false, timeToBlockExpire: 0 };
  const setUp = (available: boolean, answer: () => Promise<typeof record>) => {
    const redis = { available };
    const shared = { increment: jest.fn(answer) };
    const storage = new FailoverThrottlerStorage(redis as unknown as RedisConnectionsService, shared, new MemoryThrottlerStorage());
    return { redis, shared, storage };
  };

  it("counts in this process while Redis is not connected, and in Redis again once it is", async () => {
    const { redis, shared, storage } = setUp(false, () => Promise.resolve(record));
    expect(await storage.increment('a', 60_000, 5, 60_000, 'default')).toMatchObject({ totalHits: 1 });
    expect(await storage.increment('a', 60_000, 5, 60_000, 'default')).toMatchObject({ totalHits: 2 });
    expect(shared.increment).not.toHaveBeenCalled();
    redis.available = true;
    expect(await storage.increment('a', 60_000, 5, 60_000, 'default')).toEqual(record);
  });

  it('a failed or timed-out call is counted in this process, and Redis is left alone for a few seconds', async () => {
    jest.useFakeTimers({ now: Date.parse('2026-01-01T00:00:00Z') });
    try {
      const { shared, storage } = setUp(true, () => Promise.reject(new Error('Command timed out')));
      expect(await storage.increment('a', 60_000, 5, 60_000, 'default')).toMatchObject({ totalHits: 1 });
      expect(await storage.increment('a', 60_000, 5, 60_000, 'default')).toMatchObject({ totalHits: 2 });
      expect(shared.increment).toHaveBeenCalledTimes(1);
      jest.setSystemTime(Date.now() + 5_000);
      await storage.increment('a', 60_000, 5, 60_000, 'default');
      expect(shared.increment).toHaveBeenCalledTimes(2);
    } finally {
      jest.useRealTimers();
    }
  });
});
