import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { AuthModule } from '../auth/auth.module.js';
import { FeedbackModule } from '../feedback/feedback.module.js';
import { AdminFeedbackController } from './admin-feedback.controller.js';
import { AdminAuditController } from './admin-audit.controller.js';
import { AdminUsersController } from './admin-users.controller.js';
import { AdminUsersService } from './admin-users.service.js';

/** Every /api/admin route: accounts, the audit log and the feedback on replies, for the admin role only (@Roles on each controller). */
@Module({
  imports: [AuthModule, AuditModule, FeedbackModule],
  controllers: [AdminUsersController, AdminAuditController, AdminFeedbackController],
  providers: [AdminUsersService],
})
export class AdminModule {}
