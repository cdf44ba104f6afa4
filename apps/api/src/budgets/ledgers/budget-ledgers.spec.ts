import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { BudgetsRepository, UsersRepository } from '@app/persistence';
import { bootServices, type ServiceTestbed } from '../../../../../test/helpers/service-testbed.js';
import type { RedisConnectionsService } from '../../redis/redis-connections.service.js';
import type { BudgetLedger, Reservation } from './budget.ledger.js';
import { DatabaseBudgetLedger } from './database-budget.ledger.js';
import { RedisBudgetLedger } from './redis-budget.ledger.js';

const CENT = 10_000_000n;
const REDIS_URL = process.env.TEST_REDIS_URL;

/** The same rules, whichever store holds the reservations. */
const ledgers: [string, (budgets: BudgetsRepository) => { ledger: BudgetLedger; close(): Promise<void> }][] = [
  ['database', (budgets) => ({ ledger: new DatabaseBudgetLedger(budgets), close: async () => undefined })],
];
if (REDIS_URL) {
  ledgers.push([
    'Redis',
    (budgets) => {
      const client = new Redis(REDIS_URL, { keyPrefix: `test:${randomUUID()}:` });
      return { ledger: new RedisBudgetLedger({ client } as unknown as RedisConnectionsService, budgets), close: async () => void (await client.quit()) };
    },
  ]);
}

describe.each(ledgers)('budget ledger in the %s (PGlite)', (_name, make) => {
  let bed: ServiceTestbed;
  let ledger: BudgetLedger;
  let close: () => Promise<void>;
  const period = '2026-12';

  const hold = (userId: string, amount: bigint, limit: bigint, ttlMs = 60_000): Reservation => ({ userId, period, replyId: randomUUID(), amount, limit, ttlMs });

  beforeAll(async () => {
    bed = await bootServices([]);
    ({ ledger, close } = make(bed.module.get(BudgetsRepository)));
  });
  afterAll(async () => {
    await close();
    await bed.close();
  });

  it('holds while the spend and the holds fit the limit; a settlement charges the cost and frees the rest', async () => {
    const first = hold(bed.userId, 6n * CENT, 10n * CENT);
    expect(await ledger.reserve(first)).toEqual({ granted: true, spent: 0n, reserved: 0n });
    expect(await ledger.reserve(hold(bed.userId, 5n * CENT, 10n * CENT))).toEqual({ granted: false, spent: 0n, reserved: 6n * CENT });
    expect(await ledger.reservedIn(bed.userId, period)).toBe(6n * CENT);
    expect(await ledger.settle(first, 2n * CENT)).toEqual({ spent: '0.020000000', alertedPercent: 0 });
    expect(await ledger.reservedIn(bed.userId, period)).toBe(0n);
    expect(await ledger.reserve(hold(bed.userId, 8n * CENT, 10n * CENT))).toEqual({ granted: true, spent: 2n * CENT, reserved: 0n });
  });

  it('forgets a reservation that outlived its time (a replica that died), without touching the spend', async () => {
    const user = bed.otherUserId;
    await ledger.reserve(hold(user, 9n * CENT, 10n * CENT, 1));
    await new Promise((done) => setTimeout(done, 20));
    expect(await ledger.reservedIn(user, period)).toBe(0n);
    expect(await ledger.reserve(hold(user, 9n * CENT, 10n * CENT))).toEqual({ granted: true, spent: 0n, reserved: 0n });
  });

  it('counts a hold until its spend is recorded: the month never shows the money of a reply neither held nor spent', async () => {
    const budgets = bed.module.get(BudgetsRepository);
    const created = await bed.module.get(UsersRepository).createUser({ email: `${randomUUID()}@example.com`, passwordHash: 'unused', displayName: 'Settler' });
    const reservation = hold(created!.id, 6n * CENT, 10n * CENT);
    await ledger.reserve(reservation);
    let recordNow!: () => void;
    const recording = new Promise<void>((resolve) => (recordNow = resolve));
    const record = budgets.settle.bind(budgets);
    const slowRecord = jest.spyOn(budgets, 'settle').mockImplementation(async (...args) => {
      await recording;
      return record(...args);
    });
    try {
      const settled = ledger.settle(reservation, 2n * CENT);
      expect(await ledger.reservedIn(created!.id, period)).toBe(6n * CENT);
      recordNow();
      expect(await settled).toEqual({ spent: '0.020000000', alertedPercent: 0 });
      expect(await ledger.reservedIn(created!.id, period)).toBe(0n);
    } finally {
      slowRecord.mockRestore();
    }
  });

  it('grants exactly what fits to reservations made at once', async () => {
    const created = await bed.module.get(UsersRepository).createUser({ email: `${randomUUID()}@example.com`, passwordHash: 'unused', displayName: 'Racer' });
    const outcomes = await Promise.all(Array.from({ length: 30 }, () => ledger.reserve(hold(created!.id, CENT, 5n * CENT))));
    expect(outcomes.filter((outcome) => outcome.granted)).toHaveLength(5);
    expect(await ledger.reservedIn(created!.id, period)).toBe(5n * CENT);
  });
});
