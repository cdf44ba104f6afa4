import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { RedisModule } from '../redis/redis.module.js';
import { AdminPricesController } from './admin-prices.controller.js';
import { AdminUsageController } from './admin-usage.controller.js';
import { PriceBook } from './price-book.service.js';
import { PricesService } from './prices.service.js';
import { ReplyAccounting } from './reply-accounting.service.js';
import { TokenEstimator } from './token-estimate.js';
import { UsageRecordBatcher } from './usage-record.batcher.js';
import { UsageReportService } from './usage-report.service.js';
import { UsageController } from './usage.controller.js';

/** Prices per model, what each reply used and cost, and the reports over it. */
@Module({
  imports: [AuditModule, RedisModule],
  controllers: [UsageController, AdminPricesController, AdminUsageController],
  providers: [PriceBook, PricesService, ReplyAccounting, TokenEstimator, UsageRecordBatcher, UsageReportService],
  exports: [PriceBook, ReplyAccounting],
})
export class UsageModule {}
