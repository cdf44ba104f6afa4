import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { chatConfig } from '@app/common';
import type { NewUsageRecord, UsageRecordsRepository } from '@app/persistence';
import { MAX_WAITING_RECORDS, UsageRecordBatcher } from './usage-record.batcher.js';

const record = (n: number): NewUsageRecord => ({
  userId: `user-${n}`,
  messageId: null,
  provider: 'openai',
  model: 'gpt',
  status: 'complete',
  promptTokens: n,
  completionTokens: n,
  cachedPromptTokens: 0,
  reasoningTokens: 0,
  estimated: false,
  cost: null,
  currency: null,
  priceId: null,
  createdAt: new Date(Date.UTC(2026, 11, 4, 12, 0, n)),
});

/** A repository that keeps what it is given, one array per statement, and fails statements as told. */
function repository(fail: (records: NewUsageRecord[]) => Error | undefined = () => undefined) {
  const statements: NewUsageRecord[][] = [];
  const insert = jest.fn(async (...records: NewUsageRecord[]) => {
    await Promise.resolve();
    const error = fail(records);
    if (error) throw error;
    statements.push(records);
  });
  return { statements, repository: { insert } as unknown as UsageRecordsRepository, insert };
}

const batcher = (records: UsageRecordsRepository, usageWriteDelayMs = 100) =>
  new UsageRecordBatcher(records, { usageWriteDelayMs } as ConfigType<typeof chatConfig>);

const refused = () => Object.assign(new Error('violates foreign key constraint'), { code: '23503' });

afterEach(() => {
  jest.useRealTimers();
  jest.restoreAllMocks();
});

describe('UsageRecordBatcher', () => {
  it('writes the records of one delay in one statement, that long after the first', async () => {
    jest.useFakeTimers();
    const { statements, repository: records } = repository();
    const usage = batcher(records);
    usage.add(record(1));
    await jest.advanceTimersByTimeAsync(60);
    usage.add(record(2));
    usage.add(record(3));
    await jest.advanceTimersByTimeAsync(39);
    expect(statements).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    expect(statements).toEqual([[record(1), record(2), record(3)]]);

    usage.add(record(4));
    await jest.advanceTimersByTimeAsync(100);
    expect(statements).toEqual([[record(1), record(2), record(3)], [record(4)]]);
  });

  it('writes at once when a statement is full, 500 records at most to one', async () => {
    const { statements, repository: records } = repository();
    const usage = batcher(records, 10_000);
    for (let n = 0; n < 1_200; n++) usage.add(record(n));
    await usage.flush();
    expect(statements.map((statement) => statement.length)).toEqual([500, 500, 200]);
    expect(statements.flat()).toEqual(Array.from({ length: 1_200 }, (_, n) => record(n)));
  });

  it('resolves a flush once every record added before it is written, writes running one at a time', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let running = 0;
    let most = 0;
    const statements: NewUsageRecord[][] = [];
    const records = {
      insert: async (...batch: NewUsageRecord[]) => {
        most = Math.max(most, ++running);
        if (statements.length === 0) await held;
        statements.push(batch);
        running--;
      },
    } as unknown as UsageRecordsRepository;
    const usage = batcher(records, 10_000);
    usage.add(record(1));
    const first = usage.flush();
    // The first statement is under way, and held.
    await new Promise((resolve) => setImmediate(resolve));
    usage.add(record(2));
    const second = usage.flush();
    usage.add(record(3));
    let settled = false;
    void second.then(() => (settled = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    release();
    await Promise.all([first, second]);
    expect(statements).toEqual([[record(1)], [record(2), record(3)]]);
    expect(most).toBe(1);
  });

  it('ends a flush while records keep coming: those added after it are left to the next write', async () => {
    let added = 10;
    const statements: NewUsageRecord[][] = [];
    const usage = batcher(
      {
        insert: async (...batch: NewUsageRecord[]) => {
          await new Promise((resolve) => setImmediate(resolve));
          statements.push(batch);
          // A reply ends during every write.
          usage.add(record(added++));
        },
      } as unknown as UsageRecordsRepository,
      10_000,
    );
    usage.add(record(1));
    const first = usage.flush();
    usage.add(record(2));
    await usage.flush();
    await first;
    expect(statements).toEqual([[record(1), record(2)]]);
    await usage.flush();
    expect(statements).toEqual([[record(1), record(2)], [record(10)]]);
  });

  it('writes each record of a refused statement alone, so that only the refused one is lost', async () => {
    const error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const { statements, repository: records, insert } = repository((batch) => (batch.some((r) => r.userId === 'user-2') ? refused() : undefined));
    const usage = batcher(records);
    [1, 2, 3].forEach((n) => usage.add(record(n)));
    await usage.flush();
    expect(statements).toEqual([[record(1)], [record(3)]]);
    expect(insert).toHaveBeenCalledTimes(4);
    expect(error).toHaveBeenCalledTimes(1);
    expect(error.mock.calls[0]![0]).toEqual(expect.objectContaining({ usage: [record(2)] }));
  });

  it('logs a statement the database could not run (an outage) as lost, without trying each record', async () => {
    const error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const { repository: records, insert } = repository(() => Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    const usage = batcher(records);
    [1, 2].forEach((n) => usage.add(record(n)));
    await usage.flush();
    expect(insert).toHaveBeenCalledTimes(1);
    expect(error).toHaveBeenCalledWith(expect.objectContaining({ usage: [record(1), record(2)] }), 'Could not record the usage of 2 replies');
  });

  it('keeps a bounded number waiting while the database does not take them; the rest are logged as lost, together', async () => {
    const error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let written = 0;
    const records = {
      insert: async (...batch: NewUsageRecord[]) => {
        await held;
        written += batch.length;
      },
    } as unknown as UsageRecordsRepository;
    const usage = batcher(records, 10_000);
    // The first statement takes 500 and hangs; the rest wait, up to the bound.
    for (let n = 0; n < 500; n++) usage.add(record(n));
    await new Promise((resolve) => setImmediate(resolve));
    for (let n = 0; n < MAX_WAITING_RECORDS + 3; n++) usage.add(record(n));
    release();
    await usage.flush();
    expect(written).toBe(500 + MAX_WAITING_RECORDS);
    expect(error).toHaveBeenCalledTimes(1);
    expect(error).toHaveBeenCalledWith(
      { usage: [record(MAX_WAITING_RECORDS), record(MAX_WAITING_RECORDS + 1), record(MAX_WAITING_RECORDS + 2)] },
      'Could not record the usage of 3 replies: the database had not taken the earlier ones',
    );
  });

  it('writes what waits when the application shuts down', async () => {
    const { statements, repository: records } = repository();
    const usage = batcher(records, 10_000);
    usage.add(record(1));
    await usage.onApplicationShutdown();
    expect(statements).toEqual([[record(1)]]);
  });
});
