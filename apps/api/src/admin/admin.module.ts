import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { AuthModule } from '../auth/auth.module.js';
import { AdminAuditController } from './admin-audit.controller.js';
import { AdminUsersController } from './admin-users.controller.js';
import { AdminUsersService } from './admin-users.service.js';

/** Every /api/admin route: accounts and the audit log, for the admin role only (@Roles on each controller). */
@Module({
  imports: [AuthModule, AuditModule],
  controllers: [AdminUsersController, AdminAuditController],
  providers: [AdminUsersService],
})
export class AdminModule {}
