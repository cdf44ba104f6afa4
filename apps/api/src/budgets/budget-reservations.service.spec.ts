import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { BudgetsRepository } from '@app/persistence';
import { bootServices, type ServiceTestbed } from '../../../../test/helpers/service-testbed.js';
import { MetricsModule } from '../observability/metrics.module.js';
import { RedisModule } from '../redis/redis.module.js';
import { periodOf } from './budget-period.js';
import { BudgetReservations } from './budget-reservations.service.js';
import { BudgetsModule } from './budgets.module.js';

const NANO_CENT = 10_000_000n;

describe('BudgetReservations (PGlite)', () => {
  let bed: ServiceTestbed;
  let reservations: BudgetReservations;

  const ask = (userId: string) => ({ userId, role: 'member' as const, replyId: randomUUID(), models: [{ provider: 'openai', model: 'unpriced' }], messages: [{ role: 'user' as const, content: 'hi' }] });
  const monthRows = async (userId: string) => (await bed.module.get(DataSource).query(`SELECT spent FROM budget_periods WHERE user_id = $1`, [userId])) as { spent: string }[];

  beforeAll(async () => {
    bed = await bootServices([MetricsModule, RedisModule, BudgetsModule]);
    reservations = bed.module.get(BudgetReservations);
  });
  afterAll(() => bed.close());

  it('writes nothing for a free reply of a user without a budget, and charges a costed one', async () => {
    const free = await reservations.reserve(ask(bed.userId));
    expect(free.limit).toBeNull();
    await free.settle({ cost: 0n, currency: 'USD' });
    await (await reservations.reserve(ask(bed.userId))).settle(null);
    expect(await monthRows(bed.userId)).toEqual([]);

    await (await reservations.reserve(ask(bed.userId))).settle({ cost: 3n * NANO_CENT, currency: 'USD' });
    expect(await monthRows(bed.userId)).toEqual([{ spent: '0.030000000' }]);
  });

  it('settles a budgeted reply that cost nothing: its hold is released', async () => {
    const user = bed.otherUserId;
    await bed.module.get(BudgetsRepository).setUserLimit(user, '1.00');
    const hold = await reservations.reserve(ask(user));
    expect(hold.limit).not.toBeNull();
    expect(await bed.module.get(BudgetsRepository).reservedIn(user, periodOf(new Date()))).not.toBe('0');
    await hold.settle(null);
    expect(await bed.module.get(BudgetsRepository).reservedIn(user, periodOf(new Date()))).toBe('0');
  });
});
