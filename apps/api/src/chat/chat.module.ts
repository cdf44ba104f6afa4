import { Module } from '@nestjs/common';
import { ProvidersModule } from '../providers/providers.module.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { ChatController } from './chat.controller.js';
import { ChatService } from './chat.service.js';
import { GenerationRunner } from './generation.runner.js';
import { StaleReplySweeper } from './stale-reply.sweeper.js';

@Module({
  imports: [ProvidersModule, SessionsModule],
  controllers: [ChatController],
  providers: [ChatService, GenerationRunner, StaleReplySweeper],
})
export class ChatModule {}
