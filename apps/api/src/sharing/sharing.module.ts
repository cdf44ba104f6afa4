import { Module } from '@nestjs/common';
import { SessionsModule } from '../sessions/sessions.module.js';
import { SharedConversationsController, SharedLinksController } from './sharing.controller.js';
import { SharingService } from './sharing.service.js';

/** Read-only share links to snapshots of conversations; deleting a session deletes its links (foreign key). */
@Module({
  imports: [SessionsModule],
  controllers: [SharedLinksController, SharedConversationsController],
  providers: [SharingService],
})
export class SharingModule {}
