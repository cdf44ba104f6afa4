import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { AdminAuditController } from './admin-audit.controller.js';

/** Every /api/admin route, for the admin role only (@Roles on each controller). */
@Module({
  imports: [AuditModule],
  controllers: [AdminAuditController],
})
export class AdminModule {}
