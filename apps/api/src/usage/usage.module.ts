import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { AdminPricesController } from './admin-prices.controller.js';
import { PriceBook } from './price-book.service.js';
import { PricesService } from './prices.service.js';
import { ReplyAccounting } from './reply-accounting.service.js';

/** Prices per model, what each reply used and cost, and the reports over it. */
@Module({
  imports: [AuditModule],
  controllers: [AdminPricesController],
  providers: [PriceBook, PricesService, ReplyAccounting],
  exports: [PriceBook, ReplyAccounting],
})
export class UsageModule {}
