import { Module } from '@nestjs/common';
import { MetricsModule } from '../observability/metrics.module.js';
import { RetentionService } from './retention.service.js';

/** The operator's retention rule (RETENTION_DAYS): a background job, no routes. */
@Module({ imports: [MetricsModule], providers: [RetentionService], exports: [RetentionService] })
export class RetentionModule {}
