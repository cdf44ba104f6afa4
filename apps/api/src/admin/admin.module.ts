import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { AuthModule } from '../auth/auth.module.js';
import { FeedbackModule } from '../feedback/feedback.module.js';
import { ProvidersModule } from '../providers/providers.module.js';
import { RoutingModule } from '../routing/routing.module.js';
import { AdminAliasesController } from './admin-aliases.controller.js';
import { AdminConnectionsController } from './admin-connections.controller.js';
import { AdminPoliciesController, AdminUserPolicyController } from './admin-policies.controller.js';
import { AdminFeedbackController } from './admin-feedback.controller.js';
import { AdminAuditController } from './admin-audit.controller.js';
import { AdminUsersController } from './admin-users.controller.js';
import { AdminUsersService } from './admin-users.service.js';
import { FilesModule } from '../files/files.module.js';

/**
 * Every /api/admin route: accounts, the audit log, the feedback on replies, the organisation's provider
 * connections, model policies and aliases, for the admin role only (@Roles on each controller).
 */
@Module({
  imports: [AuthModule, AuditModule, FeedbackModule, FilesModule, ProvidersModule, RoutingModule],
  controllers: [
    AdminUsersController,
    AdminAuditController,
    AdminFeedbackController,
    AdminConnectionsController,
    AdminPoliciesController,
    AdminUserPolicyController,
    AdminAliasesController,
  ],
  providers: [AdminUsersService],
})
export class AdminModule {}
