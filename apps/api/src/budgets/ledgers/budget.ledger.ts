import type { PeriodSpend } from '@app/persistence';

/** A reply's hold on its user's budget for a month; amounts in nano-units of the budget's currency. */
export interface Reservation {
  userId: string;
  /** `YYYY-MM`, UTC */
  period: string;
  replyId: string;
  amount: bigint;
  limit: bigint;
  /** After this long a reservation that was never settled (its replica died) no longer holds anything. */
  ttlMs: number;
}

export interface ReservationOutcome {
  granted: boolean;
  spent: bigint;
  /** What the user's other running replies hold. */
  reserved: bigint;
}

/**
 * Where reservations live and are checked atomically against the month's spend: the database (a row lock on the
 * user's month) by default, Redis (one script) when REDIS_URL is set. The spend itself is always recorded in the
 * database, the durable record.
 */
export abstract class BudgetLedger {
  /** Holds `amount` if spent + held + amount stays within the limit; otherwise holds nothing. */
  abstract reserve(reservation: Reservation): Promise<ReservationOutcome>;

  /**
   * Adds the reply's real cost to the month and drops its hold; answers the month's spend after it. The hold counts
   * until the cost is recorded, so a reader of the holds and then the spend never misses the reply.
   */
  abstract settle(reservation: Omit<Reservation, 'limit' | 'ttlMs'>, cost: bigint): Promise<PeriodSpend>;

  /** What the user's running replies hold this month. */
  abstract reservedIn(userId: string, period: string): Promise<bigint>;
}
