import { Module } from '@nestjs/common';
import { SessionsModule } from '../sessions/sessions.module.js';
import { TransferController } from './transfer.controller.js';
import { TransferService } from './transfer.service.js';

/** Conversations out as files (JSON, Markdown, JSON lines of everything) and in (ours, ChatGPT's export). */
@Module({
  imports: [SessionsModule],
  controllers: [TransferController],
  providers: [TransferService],
})
export class TransferModule {}
