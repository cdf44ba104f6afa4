import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { MessageEntity } from '../entities/message.entity.js';
import { UsageRecordEntity } from '../entities/usage-record.entity.js';

/** A usage record to write: `createdAt` is when its reply ended, whenever the record is written. */
export type NewUsageRecord = Omit<UsageRecordEntity, 'id'>;

/** The columns of a usage record, each with its SQL type, beside the field it is written from. */
const USAGE_COLUMNS: [column: string, type: string, value: (record: NewUsageRecord) => unknown][] = [
  ['user_id', 'uuid', (r) => r.userId],
  ['message_id', 'uuid', (r) => r.messageId],
  ['provider', 'varchar', (r) => r.provider],
  ['model', 'varchar', (r) => r.model],
  ['status', 'varchar', (r) => r.status],
  ['prompt_tokens', 'integer', (r) => r.promptTokens],
  ['completion_tokens', 'integer', (r) => r.completionTokens],
  ['cached_prompt_tokens', 'integer', (r) => r.cachedPromptTokens],
  ['reasoning_tokens', 'integer', (r) => r.reasoningTokens],
  ['estimated', 'boolean', (r) => r.estimated],
  ['cost', 'numeric', (r) => r.cost],
  ['currency', 'varchar', (r) => r.currency],
  ['price_id', 'uuid', (r) => r.priceId],
  ['created_at', 'timestamptz', (r) => r.createdAt],
];
const USAGE_COLUMN_LIST = USAGE_COLUMNS.map(([column]) => column).join(', ');

/**
 * The statement that writes `records`, their values appended to `params` (so it can be one part of a larger
 * statement). One record, a row of values: the statement every reply writes, and the cheapest. Several, one array
 * per column: the text is the same for any number of them (PGlite prepares each distinct text once), and on
 * PostgreSQL 100 records took a third of the time of 100 rows of values. A message has at most one record: a
 * retried statement whose first attempt committed unseen (the connection lost after the commit) does nothing.
 */
export function insertUsageRecords(records: readonly NewUsageRecord[], params: unknown[]): string {
  const columns =
    records.length === 1
      ? `VALUES (${USAGE_COLUMNS.map(([, , value]) => `$${params.push(value(records[0]!))}`).join(', ')})`
      : `SELECT * FROM unnest(${USAGE_COLUMNS.map(([, type, value]) => `$${params.push(records.map(value))}::${type}[]`).join(', ')})`;
  return `INSERT INTO usage_records (${USAGE_COLUMN_LIST}) ${columns} ON CONFLICT (message_id) DO NOTHING`;
}

export const USAGE_GROUPS = ['day', 'model', 'provider', 'user'] as const;
export type UsageGroup = (typeof USAGE_GROUPS)[number];

export interface UsageRange {
  /** Inclusive. */
  from: Date;
  /** Exclusive. */
  to: Date;
}

/** One group of a report, in one currency (null: replies no price was known for). */
export interface UsageTotals {
  /** The day (`YYYY-MM-DD`, UTC), `provider/model`, provider, or user id. */
  key: string;
  /** The user's e-mail when grouped by user (null once the account is deleted). */
  email: string | null;
  currency: string | null;
  replies: number;
  estimatedReplies: number;
  promptTokens: number;
  completionTokens: number;
  cachedPromptTokens: number;
  reasoningTokens: number;
  /** Exact decimal sum, null for the unpriced group. */
  cost: string | null;
}

/** The reply's usage as its message shows it. */
export type MessageUsageRow = Pick<UsageRecordEntity, 'messageId' | 'promptTokens' | 'completionTokens' | 'cachedPromptTokens' | 'reasoningTokens' | 'estimated' | 'cost' | 'currency'>;

const GROUP_KEYS: Record<UsageGroup, string> = {
  day: `to_char(r.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')`,
  model: `r.provider || '/' || r.model`,
  provider: 'r.provider',
  user: 'r.user_id::text',
};

interface TotalsRow {
  key: string;
  email: string | null;
  currency: string | null;
  replies: string;
  estimated_replies: string;
  prompt_tokens: string;
  completion_tokens: string;
  cached_prompt_tokens: string;
  reasoning_tokens: string;
  cost: string | null;
}

/** What replies used and cost: written once per reply, summed in SQL for the reports. */
@Injectable()
export class UsageRecordsRepository {
  constructor(@InjectRepository(UsageRecordEntity) private readonly records: Repository<UsageRecordEntity>) {}

  /**
   * In one statement, all or none. Plain SQL: it runs once per reply or batch of replies, and TypeORM's insert
   * builder costs more CPU than the statement.
   */
  async insert(...records: NewUsageRecord[]): Promise<void> {
    const params: unknown[] = [];
    await this.records.manager.query(insertUsageRecords(records, params), params);
  }

  /** The usage of the user's replies in one session, for its message listing. */
  listOwnedForSession(userId: string, sessionId: string): Promise<MessageUsageRow[]> {
    return this.records
      .createQueryBuilder('r')
      .innerJoin(MessageEntity, 'm', 'm.id = r.messageId')
      .where('r.userId = :userId', { userId })
      .andWhere('m.sessionId = :sessionId', { sessionId })
      .getMany();
  }

  /** One user's totals per group; at most `limit` + 1 rows, so the caller knows when it cut. */
  totalsOf(userId: string, range: UsageRange, group: Exclude<UsageGroup, 'user'>, limit: number): Promise<UsageTotals[]> {
    return this.totals(range, group, limit, userId);
  }

  /** Everyone's totals per group (admins), optionally of one user. */
  totalsOfAll(range: UsageRange, group: UsageGroup, limit: number, userId?: string): Promise<UsageTotals[]> {
    return this.totals(range, group, limit, userId);
  }

  private async totals(range: UsageRange, group: UsageGroup, limit: number, userId?: string): Promise<UsageTotals[]> {
    const key = GROUP_KEYS[group];
    const byUser = group === 'user';
    const parameters: unknown[] = [range.from, range.to, limit + 1];
    if (userId !== undefined) parameters.push(userId);
    const rows = (await this.records.manager.query(
      `SELECT ${key} AS key, ${byUser ? 'u.email' : 'NULL'} AS email, r.currency AS currency,
         count(*) AS replies, count(*) FILTER (WHERE r.estimated) AS estimated_replies,
         sum(r.prompt_tokens) AS prompt_tokens, sum(r.completion_tokens) AS completion_tokens,
         sum(r.cached_prompt_tokens) AS cached_prompt_tokens, sum(r.reasoning_tokens) AS reasoning_tokens,
         sum(r.cost) AS cost
       FROM usage_records r ${byUser ? 'LEFT JOIN users u ON u.id = r.user_id' : ''}
       WHERE r.created_at >= $1 AND r.created_at < $2 ${userId !== undefined ? 'AND r.user_id = $4' : ''}
       GROUP BY 1, 2, 3
       ORDER BY 1, 3 NULLS LAST
       LIMIT $3`,
      parameters,
    )) as TotalsRow[];
    return rows.map((row) => ({
      key: row.key,
      email: row.email,
      currency: row.currency,
      replies: Number(row.replies),
      estimatedReplies: Number(row.estimated_replies),
      promptTokens: Number(row.prompt_tokens),
      completionTokens: Number(row.completion_tokens),
      cachedPromptTokens: Number(row.cached_prompt_tokens),
      reasoningTokens: Number(row.reasoning_tokens),
      cost: row.cost,
    }));
  }
}
