import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { AuthModule } from '../auth/auth.module.js';
import { FilesModule } from '../files/files.module.js';
import { AccountExportService } from './account-export.service.js';
import { AccountController } from './account.controller.js';
import { AccountService } from './account.service.js';

/** The signed-in user's own account: password, profile, deletion and the export of everything it holds. */
@Module({
  imports: [AuthModule, AuditModule, FilesModule],
  controllers: [AccountController],
  providers: [AccountService, AccountExportService],
})
export class AccountModule {}
