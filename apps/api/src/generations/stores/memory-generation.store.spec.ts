import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { GenerationLog } from '../generation-log.js';
import { MemoryGenerationStore } from './memory-generation.store.js';

const BUDGET = 64 * 1024 * 1024;

/** The collector, reached from a test (a WeakRef holds its target until the current job ends: wait a turn first). */
async function collectGarbage(): Promise<void> {
  setFlagsFromString('--expose-gc');
  await new Promise((resolve) => setImmediate(resolve));
  (runInNewContext('gc') as () => void)();
}

/** A finished generation whose one delta declares `chars` characters (the text itself does not matter to the budget). */
function finishedLog(store: MemoryGenerationStore, chars: number): GenerationLog {
  const log = new GenerationLog(randomUUID(), randomUUID());
  store.publish(log);
  log.append({ type: 'message', data: { content: 'x' } }, chars);
  log.end();
  return log;
}

describe('MemoryGenerationStore', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('forgets the oldest finished generations once their retained weight passes the budget', async () => {
    const store = new MemoryGenerationStore({ retentionMs: 60_000, retentionMaxChars: BUDGET, maxRunMs: 60_000, leaseMs: 15_000 });
    const quarter = Math.floor(BUDGET / 4);
    const logs = Array.from({ length: 6 }, () => finishedLog(store, quarter));
    const kept = await Promise.all(logs.map(async (log) => (await store.follow(log.sessionId)) !== null));
    // Each weighs a quarter plus its event, so three fit: the oldest went first, the newest are there for reconnects.
    expect(kept).toEqual([false, false, false, true, true, true]);
  });

  it('keeps many small finished generations within the budget', async () => {
    const store = new MemoryGenerationStore({ retentionMs: 60_000, retentionMaxChars: BUDGET, maxRunMs: 60_000, leaseMs: 15_000 });
    const logs = Array.from({ length: 100 }, () => finishedLog(store, 4000));
    expect(await store.follow(logs[0]!.sessionId)).not.toBeNull();
  });

  it('lets go of a generation forgotten for the budget, before its retention time is up', async () => {
    const store = new MemoryGenerationStore({ retentionMs: 60_000, retentionMaxChars: BUDGET, maxRunMs: 60_000, leaseMs: 15_000 });
    const first = new WeakRef(finishedLog(store, BUDGET - 1000));
    finishedLog(store, BUDGET - 1000);
    await collectGarbage();
    expect(first.deref()).toBeUndefined();
  });

  it('forgets each finished generation when its own retention time is up', async () => {
    const store = new MemoryGenerationStore({ retentionMs: 200, retentionMaxChars: BUDGET, maxRunMs: 60_000, leaseMs: 15_000 });
    const first = finishedLog(store, 10);
    await new Promise((resolve) => setTimeout(resolve, 120));
    const second = finishedLog(store, 10);
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(await store.follow(first.sessionId)).toBeNull();
    expect(await store.follow(second.sessionId)).not.toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(await store.follow(second.sessionId)).toBeNull();
  });

  it('never sets its sweep for a time already past (Node warns on stderr for a negative delay)', () => {
    const store = new MemoryGenerationStore({ retentionMs: 0, retentionMaxChars: BUDGET, maxRunMs: 60_000, leaseMs: 15_000 });
    // The reply ends at 1,000 with nothing to retain it for; the sweep is set a millisecond later.
    jest.spyOn(Date, 'now').mockReturnValueOnce(1000).mockReturnValue(1001);
    const timers = jest.spyOn(global, 'setTimeout');
    finishedLog(store, 10);
    expect(timers).toHaveBeenCalledWith(expect.any(Function), 0);
  });

  it('keeps a finished generation without the async context it ended in (the request and its logger)', async () => {
    const store = new MemoryGenerationStore({ retentionMs: 60_000, retentionMaxChars: BUDGET, maxRunMs: 60_000, leaseMs: 15_000 });
    const request = new AsyncLocalStorage<{ logger: object }>();
    let context: WeakRef<object> | undefined;
    const logs = ['a', 'b'].map(() => {
      const value = { logger: {} };
      context ??= new WeakRef(value);
      return request.run(value, () => finishedLog(store, 10));
    });
    await collectGarbage();
    expect(await store.follow(logs[0]!.sessionId)).not.toBeNull();
    expect(context!.deref()).toBeUndefined();
  });
});
