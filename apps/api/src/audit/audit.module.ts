import { Module } from '@nestjs/common';
import { AuditService } from './audit.service.js';

/** The audit log's writer, imported by every feature that records what a user or administrator did. */
@Module({
  providers: [AuditService],
  exports: [AuditService],
})
export class AuditModule {}
