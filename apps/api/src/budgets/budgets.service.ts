import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { AppError, chatConfig } from '@app/common';
import { BudgetsRepository, type RoleLimit, type UserRole } from '@app/persistence';
import { AuditService } from '../audit/audit.service.js';
import type { RequestOrigin } from '../audit/request-origin.decorator.js';
import type { AuthUser } from '../auth/auth-user.js';
import { formatDecimal, parseDecimal } from '../usage/money.js';
import { BudgetLimits } from './budget-limits.cache.js';
import { nextPeriodStart, periodOf } from './budget-period.js';
import { BudgetLedger } from './ledgers/budget.ledger.js';

/** A user's budget this month; money as decimal strings in `currency`. */
export interface BudgetView {
  period: string;
  currency: string;
  /** Null: no budget applies (unlimited). */
  monthlyLimit: string | null;
  source: 'user' | 'role' | null;
  spent: string;
  /** Held by replies still running: their worst case until they end. */
  reserved: string;
  /** What is left for new replies; null when unlimited. */
  remaining: string | null;
  resetsAt: Date;
}

/** Budgets as people set and read them: administrators per role and per user, each user their own. */
@Injectable()
export class BudgetsService {
  constructor(
    private readonly budgets: BudgetsRepository,
    private readonly limits: BudgetLimits,
    private readonly ledger: BudgetLedger,
    private readonly audit: AuditService,
    @Inject(chatConfig.KEY) private readonly config: ConfigType<typeof chatConfig>,
  ) {}

  get currency(): string {
    return this.config.budgetCurrency;
  }

  /** The user's budget, spend and reservations this month; USER_NOT_FOUND when there is no such user. */
  async view(userId: string): Promise<BudgetView> {
    const limit = await this.budgets.limitOf(userId);
    if (!limit) throw new AppError('USER_NOT_FOUND', 'User not found');
    const now = new Date();
    const period = periodOf(now);
    // The holds before the spend: a reply settling in between is then counted twice (held, and spent), never missed,
    // as a settlement records its spend before it releases its hold (see BudgetLedger.settle).
    const reserved = await this.ledger.reservedIn(userId, period);
    const { spent } = await this.budgets.spendIn(userId, period);
    const spentNanos = parseDecimal(spent);
    const monthly = limit.monthlyLimit === null ? null : parseDecimal(limit.monthlyLimit);
    const left = monthly === null ? null : monthly - spentNanos - reserved;
    return {
      period,
      currency: this.currency,
      monthlyLimit: monthly === null ? null : formatDecimal(monthly),
      source: limit.source,
      spent: formatDecimal(spentNanos),
      reserved: formatDecimal(reserved),
      remaining: left === null ? null : formatDecimal(left > 0n ? left : 0n),
      resetsAt: nextPeriodStart(now),
    };
  }

  roleLimits(): Promise<RoleLimit[]> {
    return this.budgets.roleLimits();
  }

  async setRoleLimit(admin: AuthUser, role: UserRole, monthlyLimit: string, origin: RequestOrigin): Promise<RoleLimit> {
    const saved = await this.budgets.setRoleLimit(role, monthlyLimit);
    await this.limits.rolesChanged();
    await this.audit.record({ actor: admin.id, action: 'budget.role_set', target: role, detail: { monthlyLimit: saved.monthlyLimit, currency: this.currency } }, origin);
    return saved;
  }

  async removeRoleLimit(admin: AuthUser, role: UserRole, origin: RequestOrigin): Promise<void> {
    if (!(await this.budgets.removeRoleLimit(role))) throw new AppError('BUDGET_NOT_FOUND', `The role ${role} has no budget`);
    await this.limits.rolesChanged();
    await this.audit.record({ actor: admin.id, action: 'budget.role_removed', target: role }, origin);
  }

  async setUserLimit(admin: AuthUser, userId: string, monthlyLimit: string, origin: RequestOrigin): Promise<BudgetView> {
    const saved = await this.budgets.setUserLimit(userId, monthlyLimit);
    if (saved === null) throw new AppError('USER_NOT_FOUND', 'User not found');
    await this.limits.userChanged(userId);
    await this.audit.record({ actor: admin.id, action: 'budget.user_set', target: userId, detail: { monthlyLimit: saved, currency: this.currency } }, origin);
    return this.view(userId);
  }

  async removeUserLimit(admin: AuthUser, userId: string, origin: RequestOrigin): Promise<BudgetView> {
    const view = await this.view(userId);
    if (view.source !== 'user' || !(await this.budgets.removeUserLimit(userId))) throw new AppError('BUDGET_NOT_FOUND', 'This user has no budget of their own');
    await this.limits.userChanged(userId);
    await this.audit.record({ actor: admin.id, action: 'budget.user_removed', target: userId }, origin);
    return this.view(userId);
  }
}
