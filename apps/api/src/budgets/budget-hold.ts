import type { Reservation } from './ledgers/budget.ledger.js';

/** What a reply cost, as the usage accounting worked it out: null cost when its model has no price. */
export interface SettledCost {
  /** Nano-units of `currency`. */
  cost: bigint | null;
  currency: string | null;
}

/** Whoever records a settled hold's cost (the reservations service). */
export interface HoldSettler {
  settle(hold: BudgetHold, charge: SettledCost | null): Promise<void>;
}

/**
 * One reply's claim on its user's budget, from before the upstream call until the reply ends. Settled exactly
 * once, whichever end comes first (done, abort, error, a failed start); later calls do nothing.
 */
export class BudgetHold {
  private settled = false;

  constructor(
    private readonly settler: HoldSettler,
    readonly reservation: Omit<Reservation, 'ttlMs'>,
    /** The limit it was checked against; null for a user without a budget (the spend is still recorded). */
    readonly limit: bigint | null,
    /** The output tokens reserved for when the request set no maximum: the reply is capped at them. */
    readonly outputCap: number | undefined,
  ) {}

  /** Charges the reply's real cost (nothing when it never started) and releases the rest of the reservation; never throws. */
  async settle(charge: SettledCost | null): Promise<void> {
    if (this.settled) return;
    this.settled = true;
    await this.settler.settle(this, charge);
  }
}
