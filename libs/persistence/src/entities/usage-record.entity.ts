import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export const USAGE_STATUSES = ['complete', 'aborted', 'error'] as const;
export type UsageStatus = (typeof USAGE_STATUSES)[number];

/**
 * What one assistant reply used and cost. A table of its own, without foreign keys, so the spend history stays
 * whole when a session or message is deleted (by the user or retention) and covers `/v1` turns that are not
 * stored (`store: false`: no message row, `messageId` null).
 */
@Entity('usage_records')
@Index('IDX_usage_records_user_created', ['userId', 'createdAt'])
@Index('IDX_usage_records_created', ['createdAt'])
@Index('IDX_usage_records_message', ['messageId'], { unique: true })
export class UsageRecordEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'PK_usage_records' })
  id: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  /** The reply's message, when it was stored. */
  @Column({ name: 'message_id', type: 'uuid', nullable: true })
  messageId: string | null;

  @Column({ type: 'varchar', length: 32 })
  provider: string;

  @Column({ type: 'varchar', length: 200 })
  model: string;

  @Column({ type: 'varchar', length: 16 })
  status: UsageStatus;

  /** All prompt tokens, the cached ones included. */
  @Column({ name: 'prompt_tokens', type: 'integer' })
  promptTokens: number;

  /** All completion tokens, the reasoning ones included. */
  @Column({ name: 'completion_tokens', type: 'integer' })
  completionTokens: number;

  @Column({ name: 'cached_prompt_tokens', type: 'integer' })
  cachedPromptTokens: number;

  @Column({ name: 'reasoning_tokens', type: 'integer' })
  reasoningTokens: number;

  /** True when the provider sent no usage and the tokens were counted here. */
  @Column({ type: 'boolean' })
  estimated: boolean;

  /** Exact decimal in `currency`; null when no price was known for the model at the time. */
  @Column({ type: 'numeric', precision: 20, scale: 9, nullable: true })
  cost: string | null;

  @Column({ type: 'varchar', length: 3, nullable: true })
  currency: string | null;

  /** The price row applied (no foreign key: deleting a price keeps the record). */
  @Column({ name: 'price_id', type: 'uuid', nullable: true })
  priceId: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
