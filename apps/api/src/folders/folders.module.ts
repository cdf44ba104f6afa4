import { Module } from '@nestjs/common';
import { FoldersController } from './folders.controller.js';
import { FoldersService } from './folders.service.js';

/** A user's folders of chat sessions; sessions are filed through the sessions API (`PATCH /api/chat/sessions/:id`). */
@Module({
  controllers: [FoldersController],
  providers: [FoldersService],
})
export class FoldersModule {}
