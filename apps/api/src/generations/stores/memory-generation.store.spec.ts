import { describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { GenerationLog } from '../generation-log.js';
import { MemoryGenerationStore } from './memory-generation.store.js';

const BUDGET = 64 * 1024 * 1024;

/** A finished generation whose one delta declares `chars` characters (the text itself does not matter to the budget). */
function finishedLog(store: MemoryGenerationStore, chars: number): GenerationLog {
  const log = new GenerationLog(randomUUID(), randomUUID());
  store.publish(log);
  log.append({ type: 'message', data: { content: 'x' } }, chars);
  log.end();
  return log;
}

describe('MemoryGenerationStore', () => {
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
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const store = new MemoryGenerationStore({ retentionMs: 60_000, retentionMaxChars: BUDGET, maxRunMs: 60_000, leaseMs: 15_000 });
    const first = new WeakRef(finishedLog(store, BUDGET - 1000));
    finishedLog(store, BUDGET - 1000);
    // A WeakRef holds its target until the current job ends.
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    expect(first.deref()).toBeUndefined();
  });
});
