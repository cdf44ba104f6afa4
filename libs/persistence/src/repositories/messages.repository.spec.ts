import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { copyPgliteTemplate, type TestDatabase } from '../../../../test/helpers/test-database.js';
import { buildDataSourceOptions } from '../data-source.options.js';
import { MessageEntity } from '../entities/message.entity.js';
import { ChatTurnsRepository } from './chat-turns.repository.js';
import { MessagesRepository } from './messages.repository.js';
import { UsageRecordEntity } from '../entities/usage-record.entity.js';
import { type NewUsageRecord, UsageRecordsRepository } from './usage-records.repository.js';

// The schema the app migrates to, in an embedded database of the file's own: a copy of the run's migrated one.
let database: TestDatabase;
let dataSource: DataSource;
let messages: MessagesRepository;
let turns: ChatTurnsRepository;
let userId: string;

beforeAll(async () => {
  database = copyPgliteTemplate();
  dataSource = new DataSource(await buildDataSourceOptions({ pgliteDataDir: database.env.PGLITE_DATA_DIR!, poolSize: 1, migrationsRun: true, logQueries: false }));
  await dataSource.initialize();
  messages = new MessagesRepository(dataSource.getRepository(MessageEntity));
  turns = new ChatTurnsRepository(dataSource);
  [{ id: userId }] = await dataSource.query(`INSERT INTO users (email, display_name) VALUES ('reply@example.com', 'Reply') RETURNING id`);
});
afterAll(async () => {
  await dataSource?.destroy();
  await database?.drop();
});

/** A new session whose reply is `streaming`: its id. */
async function streamingReply(): Promise<{ sessionId: string; replyId: string }> {
  const sessionId = randomUUID();
  const replyId = randomUUID();
  await turns.beginTurn({ userId, sessionId, newSession: { title: 't' }, provider: 'openai', model: 'm', parentId: null, question: { id: randomUUID(), content: 'q' }, replyId });
  return { sessionId, replyId };
}

const usageOf = (messageId: string): NewUsageRecord => ({
  userId,
  messageId,
  provider: 'openai',
  model: 'm',
  status: 'complete',
  promptTokens: 7,
  completionTokens: 3,
  cachedPromptTokens: 0,
  reasoningTokens: 0,
  estimated: false,
  cost: '0.000012000',
  currency: 'USD',
  priceId: null,
  createdAt: new Date('2026-11-30T23:59:59.900Z'),
});
const finished = { content: 'answer', status: 'complete', responseTimeMs: 5 } as const;
const recordsOf = async (messageId: string): Promise<{ prompt_tokens: number; cost: string; created_at: Date }[]> =>
  dataSource.query(`SELECT prompt_tokens, cost, created_at FROM usage_records WHERE message_id = $1`, [messageId]);

describe('MessagesRepository.finishReply with the reply’s usage', () => {
  it('finishes the row and records its usage in one statement', async () => {
    const { replyId } = await streamingReply();
    await expect(messages.finishReply(replyId, finished, usageOf(replyId))).resolves.toBe(true);
    const [row] = await dataSource.query(`SELECT status, content FROM messages WHERE id = $1`, [replyId]);
    expect(row).toEqual({ status: 'complete', content: 'answer' });
    // Written at the time its reply ended, not the statement's: here, the month before.
    expect(await recordsOf(replyId)).toEqual([{ prompt_tokens: 7, cost: '0.000012000', created_at: new Date('2026-11-30T23:59:59.900Z') }]);
  });

  it('records the usage once when the statement runs again (a retry whose first attempt committed unseen)', async () => {
    const { replyId } = await streamingReply();
    await messages.finishReply(replyId, finished, usageOf(replyId));
    await expect(messages.finishReply(replyId, finished, usageOf(replyId))).resolves.toBe(false);
    expect(await recordsOf(replyId)).toHaveLength(1);
  });

  it('records the usage of a reply whose session was deleted while it streamed', async () => {
    const { sessionId, replyId } = await streamingReply();
    await dataSource.query(`DELETE FROM chat_sessions WHERE id = $1`, [sessionId]);
    await expect(messages.finishReply(replyId, finished, usageOf(replyId))).resolves.toBe(false);
    expect(await recordsOf(replyId)).toHaveLength(1);
  });

  it('writes nothing when the database refuses the row: neither the reply nor its usage', async () => {
    const { replyId } = await streamingReply();
    // Longer than the provider column: SQLSTATE 22001, the class ReplySaver takes for a refused row.
    await expect(messages.finishReply(replyId, { ...finished, provider: 'p'.repeat(100) }, usageOf(replyId))).rejects.toThrow(/too long/);
    expect(await recordsOf(replyId)).toEqual([]);
  });
});

describe('UsageRecordsRepository.insert', () => {
  it('writes any number of records in one statement, each as given, and a message’s at most once', async () => {
    const records = new UsageRecordsRepository(dataSource.getRepository(UsageRecordEntity));
    const { replyId } = await streamingReply();
    const unstored = (n: number): NewUsageRecord => ({ ...usageOf(replyId), messageId: null, model: `batch-${n}`, promptTokens: n, cost: n % 2 ? null : '0.5', currency: n % 2 ? null : 'USD', createdAt: new Date(Date.UTC(2026, 11, 4, 0, 0, n)) });
    await records.insert(unstored(1));
    await records.insert(...Array.from({ length: 700 }, (_, n) => unstored(n + 2)), usageOf(replyId), usageOf(replyId));
    const rows: { model: string; prompt_tokens: number; cost: string | null; created_at: Date }[] = await dataSource.query(
      `SELECT model, prompt_tokens, cost, created_at FROM usage_records WHERE model LIKE 'batch-%' ORDER BY prompt_tokens`,
    );
    expect(rows).toHaveLength(701);
    expect(rows[0]).toEqual({ model: 'batch-1', prompt_tokens: 1, cost: null, created_at: new Date(Date.UTC(2026, 11, 4, 0, 0, 1)) });
    expect(rows[699]).toEqual({ model: 'batch-700', prompt_tokens: 700, cost: '0.500000000', created_at: new Date(Date.UTC(2026, 11, 4, 0, 0, 700)) });
    expect(await recordsOf(replyId)).toHaveLength(1);
  });

  it('writes any text as given: quotes, braces, commas, backslashes and NULL-looking names are values, not array syntax', async () => {
    const records = new UsageRecordsRepository(dataSource.getRepository(UsageRecordEntity));
    const models = ['a "quoted", {braced} \\ model', 'NULL', '', ' spaced '];
    await records.insert(...models.map((model, n): NewUsageRecord => ({ ...usageOf(randomUUID()), messageId: null, provider: `odd-${n}`, model })));
    const rows: { model: string }[] = await dataSource.query(`SELECT model FROM usage_records WHERE provider LIKE 'odd-%' ORDER BY provider`);
    expect(rows.map((row) => row.model)).toEqual(models);
  });
});
