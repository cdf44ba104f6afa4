import { Module } from '@nestjs/common';
import { FilesModule } from '../files/files.module.js';
import { MetricsModule } from '../observability/metrics.module.js';
import { RetentionService } from './retention.service.js';

/** The operator's retention rules (RETENTION_DAYS, FILES_UNATTACHED_TTL): a background job, no routes. */
@Module({ imports: [FilesModule, MetricsModule], providers: [RetentionService], exports: [RetentionService] })
export class RetentionModule {}
