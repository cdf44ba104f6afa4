import { Module } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { upstreamConfig } from '@app/common';
import { BudgetsRepository } from '@app/persistence';
import { AuditModule } from '../audit/audit.module.js';
import { longestGenerationMs } from '../generations/stores/generation.store.js';
import { RedisConnectionsService } from '../redis/redis-connections.service.js';
import { RedisModule } from '../redis/redis.module.js';
import { UsageModule } from '../usage/usage.module.js';
import { AdminBudgetsController } from './admin-budgets.controller.js';
import { BudgetController } from './budget.controller.js';
import { BudgetLimits } from './budget-limits.cache.js';
import { BUDGET_TTL, BudgetReservations } from './budget-reservations.service.js';
import { BudgetsService } from './budgets.service.js';
import { BudgetLedger } from './ledgers/budget.ledger.js';
import { DatabaseBudgetLedger } from './ledgers/database-budget.ledger.js';
import { RedisBudgetLedger } from './ledgers/redis-budget.ledger.js';

/**
 * Monthly budgets: set by administrators, read by each user, and enforced by `BudgetReservations`, which the
 * generations call before every upstream request and when every reply ends.
 */
@Module({
  imports: [AuditModule, RedisModule, UsageModule],
  controllers: [BudgetController, AdminBudgetsController],
  exports: [BudgetReservations],
  providers: [
    BudgetsService,
    BudgetLimits,
    BudgetReservations,
    {
      provide: BudgetLedger,
      inject: [RedisConnectionsService, BudgetsRepository],
      useFactory: (redis: RedisConnectionsService, budgets: BudgetsRepository) => (redis.client ? new RedisBudgetLedger(redis, budgets) : new DatabaseBudgetLedger(budgets)),
    },
    {
      provide: BUDGET_TTL,
      inject: [upstreamConfig.KEY],
      useFactory: (upstream: ConfigType<typeof upstreamConfig>) => longestGenerationMs(upstream),
    },
  ],
})
export class BudgetsModule {}
