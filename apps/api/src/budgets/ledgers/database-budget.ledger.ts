import { BudgetsRepository, type PeriodSpend } from '@app/persistence';
import { formatDecimal, parseDecimal } from '../../usage/money.js';
import { BudgetLedger, type Reservation, type ReservationOutcome } from './budget.ledger.js';

/** Reservations as rows, checked under a lock on the user's month: PGlite, or PostgreSQL without Redis. */
export class DatabaseBudgetLedger extends BudgetLedger {
  constructor(private readonly budgets: BudgetsRepository) {
    super();
  }

  async reserve(reservation: Reservation): Promise<ReservationOutcome> {
    const outcome = await this.budgets.reserve({ ...reservation, amount: formatDecimal(reservation.amount), limit: formatDecimal(reservation.limit) });
    return { granted: outcome.granted, spent: parseDecimal(outcome.spent), reserved: parseDecimal(outcome.reserved) };
  }

  settle({ userId, period, replyId }: Omit<Reservation, 'limit' | 'ttlMs'>, cost: bigint): Promise<PeriodSpend> {
    return this.budgets.settle(userId, period, replyId, formatDecimal(cost));
  }

  async reservedIn(userId: string, period: string): Promise<bigint> {
    return parseDecimal(await this.budgets.reservedIn(userId, period));
  }
}
