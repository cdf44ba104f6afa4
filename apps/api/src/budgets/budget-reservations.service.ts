import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { type ChatTurn, type ReasoningOptions, thinkingBudget, type ToolDefinition } from '@app/ai';
import { AppError, chatConfig } from '@app/common';
import { BudgetsRepository, type UserRole } from '@app/persistence';
import { SYSTEM_ACTOR } from '../audit/audit-actions.js';
import { AuditService } from '../audit/audit.service.js';
import { costOf } from '../usage/cost.js';
import { formatDecimal, parseDecimal } from '../usage/money.js';
import { displayMoney, promptTokenBound, nextPeriodStart, periodOf } from './budget-period.js';
import { PriceBook } from '../usage/price-book.service.js';
import { BudgetLimits } from './budget-limits.cache.js';
import { BudgetHold, type HoldSettler, type SettledCost } from './budget-hold.js';
import { BudgetLedger } from './ledgers/budget.ledger.js';

/** What a reply is about to ask for, as far as its worst-case cost goes. */
export interface ReplyAsk {
  userId: string;
  /** The user's current role: its budget applies when the user has none of their own. */
  role: UserRole;
  replyId: string;
  /** Every model the reply may be answered by (an alias's targets and fallbacks): the dearest one is reserved. */
  models: readonly { provider: string; model: string }[];
  messages: readonly ChatTurn[];
  /** The tools offered: their definitions are prompt tokens too. */
  tools?: readonly ToolDefinition[];
  /** The request's own maximum of output tokens, if it set one. */
  maxTokens?: number;
  /** The reasoning asked for: Anthropic's thinking budget comes on top of the answer's maximum. */
  reasoning?: ReasoningOptions;
}

/** How long an unsettled reservation holds: the longest a reply can run and be saved (its replica died otherwise). */
export const BUDGET_TTL = Symbol('BUDGET_RESERVATION_TTL_MS');

/**
 * Every reply holds at least the smallest amount, so a free model, an unpriced one or one priced in another
 * currency (all of which cost the budget nothing) may be used while the budget has room left, and not once it
 * is spent: a spent budget refuses every reply alike.
 */
const LEAST_HOLD = 1n;

/**
 * The budget's gate in front of every reply: reserves the reply's worst case before the upstream call (402
 * `budget_exceeded` when it does not fit), and charges the real cost when the reply ends, writing the 80 % and
 * 100 % thresholds to the audit log once per user and month.
 */
@Injectable()
export class BudgetReservations implements HoldSettler {
  private readonly logger = new Logger(BudgetReservations.name);

  constructor(
    private readonly budgets: BudgetsRepository,
    private readonly limits: BudgetLimits,
    private readonly ledger: BudgetLedger,
    private readonly prices: PriceBook,
    private readonly audit: AuditService,
    @Inject(chatConfig.KEY) private readonly config: ConfigType<typeof chatConfig>,
    @Inject(BUDGET_TTL) private readonly ttlMs: number,
  ) {}

  async reserve(ask: ReplyAsk): Promise<BudgetHold> {
    const now = new Date();
    const base = { userId: ask.userId, period: periodOf(now), replyId: ask.replyId };
    const monthlyLimit = await this.limits.of(ask.userId, ask.role);
    if (monthlyLimit === null) return new BudgetHold(this, { ...base, amount: 0n, limit: 0n }, null, undefined);
    const limit = parseDecimal(monthlyLimit);
    const outputTokens = ask.maxTokens ?? this.config.budgetMaxOutputTokens;
    const amount = await this.worstCase(ask, outputTokens);
    const reservation = { ...base, amount, limit };
    const outcome = await this.ledger.reserve({ ...reservation, ttlMs: this.ttlMs });
    if (!outcome.granted) {
      await this.crossed(base.userId, base.period, 100, { spent: formatDecimal(outcome.spent), limit: formatDecimal(limit), refused: true });
      throw new AppError('BUDGET_EXCEEDED', this.refusal(limit, outcome.spent, outcome.reserved, amount, now));
    }
    return new BudgetHold(this, reservation, limit, ask.maxTokens === undefined ? outputTokens : undefined);
  }

  async settle(hold: BudgetHold, charge: SettledCost | null): Promise<void> {
    const { userId, period } = hold.reservation;
    // A model priced in another currency costs the budget nothing, as it reserved nothing (see LEAST_HOLD).
    const cost = charge?.cost != null && charge.currency === this.config.budgetCurrency ? charge.cost : 0n;
    // A user without a budget held nothing (see reserve): a reply that cost nothing leaves nothing to release or
    // add, so no write (an unpriced model, as a self-hosted one often is). Any other reply is charged as always.
    if (hold.limit === null && cost === 0n) return;
    try {
      const { spent, alertedPercent } = await this.ledger.settle(hold.reservation, cost);
      const { limit } = hold;
      if (limit === null) return;
      const total = parseDecimal(spent);
      const detail = { spent, limit: formatDecimal(limit) };
      if (alertedPercent < 80 && total * 5n >= limit * 4n) await this.crossed(userId, period, 80, detail);
      if (alertedPercent < 100 && total >= limit) await this.crossed(userId, period, 100, detail);
    } catch (error) {
      // The reservation expires by itself; the reply is not failed for its bookkeeping.
      this.logger.error(`Could not charge reply ${hold.reservation.replyId} to its budget`, error instanceof Error ? error.stack : String(error));
    }
  }

  /**
   * The prompt's estimate and the output tokens at the model's price, in nano-units of the budget's currency. An
   * Anthropic model may also spend its whole thinking budget, which its request adds to max_tokens (see
   * AnthropicStrategy); other providers count reasoning within their maximum (OpenAI) or are held to the answer's.
   */
  private async worstCase(ask: ReplyAsk, outputTokens: number): Promise<bigint> {
    const promptTokens = promptTokenBound(ask.messages, ask.tools);
    const thinking = thinkingBudget(ask.reasoning) ?? 0;
    const costs = await Promise.all(
      ask.models.map(async ({ provider, model }) => {
        const price = await this.prices.priceOf(provider, model);
        if (!price || price.currency !== this.config.budgetCurrency) return LEAST_HOLD;
        const completionTokens = outputTokens + (provider === 'anthropic' ? thinking : 0);
        const worst = costOf(price, { promptTokens, completionTokens, cachedPromptTokens: 0, reasoningTokens: 0 });
        return worst > LEAST_HOLD ? worst : LEAST_HOLD;
      }),
    );
    return costs.reduce((dearest, cost) => (cost > dearest ? cost : dearest));
  }

  /** Once per user and month, on every replica together: the first to raise the mark writes the event. */
  private async crossed(userId: string, period: string, percent: 80 | 100, detail: Record<string, string | boolean>): Promise<void> {
    if (!(await this.budgets.raiseAlert(userId, period, percent))) return;
    await this.audit.record({ actor: SYSTEM_ACTOR, action: `budget.threshold_${percent}`, target: userId, detail: { period, percent, currency: this.config.budgetCurrency, ...detail } });
  }

  private refusal(limit: bigint, spent: bigint, reserved: bigint, amount: bigint, now: Date): string {
    const currency = this.config.budgetCurrency;
    const money = (nanos: bigint) => `${displayMoney(nanos)} ${currency}`;
    const held = reserved > 0n ? `, ${money(reserved)} held by replies still running` : '';
    return (
      `Your monthly budget of ${money(limit)} has no room for this reply: ${money(spent)} spent${held}, and this reply may cost up to ${money(amount)}. ` +
      `It renews on ${nextPeriodStart(now).toISOString().slice(0, 10)}`
    );
  }
}
