import { Module } from '@nestjs/common';
import { ProvidersModule } from '../providers/providers.module.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { ChatController } from './chat.controller.js';
import { ChatService } from './chat.service.js';
import { GenerationRunner } from './generation.runner.js';
import { GenerationTracker } from './generation.tracker.js';
import { GracefulShutdown } from './graceful-shutdown.service.js';
import { StaleReplySweeper } from './stale-reply.sweeper.js';

@Module({
  imports: [ProvidersModule, SessionsModule],
  controllers: [ChatController],
  exports: [ChatService],
  providers: [ChatService, GenerationRunner, GenerationTracker, GracefulShutdown, StaleReplySweeper],
})
export class ChatModule {}
