import { Injectable, Logger } from '@nestjs/common';
import type { ChatDelta, ChatTurn } from '@app/ai';
import { type NewUsageRecord, UsageRecordsRepository, type UsageStatus } from '@app/persistence';
import { costOf, type TokenUsage } from './cost.js';
import { formatDecimal } from './money.js';
import { type ModelPrice, PriceBook } from './price-book.service.js';
import { TokenEstimator } from './token-estimate.js';
import { UsageRecordBatcher } from './usage-record.batcher.js';

/** What a provider reported about a reply, as the strategies pass it on. */
export type ReportedUsage = Omit<Extract<ChatDelta, { type: 'usage' }>, 'type'>;

/** A reply at its end, as the generation knows it. */
export interface SettledReply {
  userId: string;
  /** The reply's message, or null when it is not stored (`/v1` with `store: false`). */
  messageId: string | null;
  /** The provider and model that answered. */
  provider: string;
  model: string;
  status: UsageStatus;
  /** When the reply was asked for: the price in force then applies. */
  startedAt: Date;
  /** What the provider reported, or null when it sent nothing (then the tokens are estimated). */
  reported: ReportedUsage | null;
  /** The prompt sent, for an estimate. */
  prompt: readonly ChatTurn[];
  /** The reply's text, as far as it got. */
  text: string;
}

/** What a reply used and cost. */
export interface ReplyCharge extends TokenUsage {
  estimated: boolean;
  /** In nano-units of `currency` (see money.ts); null when no price was known for the model. */
  cost: bigint | null;
  currency: string | null;
  priceId: string | null;
}

/** Token counts are the provider's say-so: kept to what the integer columns hold. */
const MAX_TOKENS = 2_147_483_647;
const tokenCount = (value: number | undefined) => (value !== undefined && Number.isFinite(value) ? Math.min(Math.max(Math.trunc(value), 0), MAX_TOKENS) : 0);

const NOTHING_COUNTED: TokenUsage & { estimated: boolean } = { promptTokens: 0, completionTokens: 0, cachedPromptTokens: 0, reasoningTokens: 0, estimated: true };

/**
 * Where a settled reply's usage and cost are worked out: once per reply, never per delta. The record is written
 * whatever became of the reply (complete, stopped, failed) and whether or not its message is stored, so the spend
 * history is whole.
 */
@Injectable()
export class ReplyAccounting {
  private readonly logger = new Logger(ReplyAccounting.name);

  constructor(
    private readonly prices: PriceBook,
    private readonly records: UsageRecordsRepository,
    private readonly estimates: TokenEstimator,
    private readonly batcher: UsageRecordBatcher,
  ) {}

  /**
   * Works out the reply's charge, and the usage record that keeps it. The record is written with the reply's row
   * (ReplySaver) or, where there is no row to finish, alone (`record`).
   */
  async charge(reply: SettledReply): Promise<{ charge: ReplyCharge; record: NewUsageRecord }> {
    const charge = await this.chargeOf(reply);
    const record: NewUsageRecord = {
      userId: reply.userId,
      messageId: reply.messageId,
      provider: reply.provider,
      model: reply.model,
      status: reply.status,
      promptTokens: charge.promptTokens,
      completionTokens: charge.completionTokens,
      cachedPromptTokens: charge.cachedPromptTokens,
      reasoningTokens: charge.reasoningTokens,
      estimated: charge.estimated,
      cost: charge.cost === null ? null : formatDecimal(charge.cost),
      currency: charge.currency,
      priceId: charge.priceId,
      // Now, as the reply ends: a record written later (with others, or once the database is back) keeps its time.
      createdAt: new Date(),
    };
    return { charge, record };
  }

  /**
   * The reply's row is saved with its usage record, so working out the charge must not fail: anything that throws
   * here (an estimate, a price) counts the reply as nothing used, unpriced, and is logged.
   */
  private async chargeOf(reply: SettledReply): Promise<ReplyCharge> {
    try {
      const usage = await this.usageOf(reply);
      const price = await this.priceOf(reply);
      return { ...usage, cost: price && costOf(price, usage), currency: price?.currency ?? null, priceId: price?.id ?? null };
    } catch (error) {
      this.logger.error({ err: error, messageId: reply.messageId }, 'Could not work out the usage and cost of a reply; counted as nothing used');
      return { ...NOTHING_COUNTED, cost: null, currency: null, priceId: null };
    }
  }

  /**
   * Writes a usage record alone, now: for a reply whose row could not be finished with it. A failed write is
   * logged, never thrown (the reply is not failed for it).
   */
  async record(record: NewUsageRecord): Promise<void> {
    try {
      await this.records.insert(record);
    } catch (error) {
      this.logger.error({ err: error, usage: record }, 'Could not record the usage of a reply');
    }
  }

  /** Writes the usage record of a reply that is not stored, with others soon after (UsageRecordBatcher). */
  recordSoon(record: NewUsageRecord): void {
    this.batcher.add(record);
  }

  /** The provider's counts when it sent them; otherwise an estimate from the prompt and the text so far. */
  private async usageOf(reply: SettledReply): Promise<TokenUsage & { estimated: boolean }> {
    const { reported } = reply;
    if (reported) {
      return {
        promptTokens: tokenCount(reported.promptTokens),
        completionTokens: tokenCount(reported.completionTokens),
        cachedPromptTokens: tokenCount(reported.cachedPromptTokens),
        reasoningTokens: tokenCount(reported.reasoningTokens),
        estimated: false,
      };
    }
    // A reply that failed before its first token (refused key, unreachable host) was not billed by the provider.
    if (reply.status === 'error' && reply.text.length === 0) return NOTHING_COUNTED;
    const [promptTokens, completionTokens] = await Promise.all([this.estimates.prompt(reply.prompt), this.estimates.completion(reply.text)]);
    return { promptTokens, completionTokens, cachedPromptTokens: 0, reasoningTokens: 0, estimated: true };
  }

  private async priceOf(reply: SettledReply): Promise<ModelPrice | null> {
    try {
      return await this.prices.priceOf(reply.provider, reply.model, reply.startedAt);
    } catch (error) {
      this.logger.error({ err: error }, 'Could not read the price of a reply');
      return null;
    }
  }
}
