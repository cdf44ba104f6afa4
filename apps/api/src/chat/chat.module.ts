import { Module } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { chatConfig, upstreamConfig } from '@app/common';
import { AuthModule } from '../auth/auth.module.js';
import { ObservabilityModule } from '../observability/observability.module.js';
import { ProvidersModule } from '../providers/providers.module.js';
import { RedisConnections } from '../redis/redis.connections.js';
import { RedisModule } from '../redis/redis.module.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { ChatController } from './chat.controller.js';
import { ChatService } from './chat.service.js';
import { GenerationRunner } from './generation.runner.js';
import { GenerationStore, type GenerationStoreSettings, longestGenerationMs } from './generation.store.js';
import { GenerationTracker } from './generation.tracker.js';
import { GracefulShutdown } from './graceful-shutdown.service.js';
import { MemoryGenerationStore } from './memory-generation.store.js';
import { RedisGenerationStore } from './redis-generation.store.js';
import { StaleReplySweeper } from './stale-reply.sweeper.js';

@Module({
  imports: [AuthModule, ObservabilityModule, ProvidersModule, RedisModule, SessionsModule],
  controllers: [ChatController],
  exports: [ChatService],
  providers: [
    ChatService,
    GenerationRunner,
    GenerationTracker,
    GracefulShutdown,
    StaleReplySweeper,
    {
      provide: GenerationStore,
      inject: [RedisConnections, GenerationTracker, chatConfig.KEY, upstreamConfig.KEY],
      useFactory: (redis: RedisConnections, tracker: GenerationTracker, chat: ConfigType<typeof chatConfig>, upstream: ConfigType<typeof upstreamConfig>) => {
        const settings: GenerationStoreSettings = {
          retentionMs: chat.generationRetentionMs,
          retentionMaxChars: chat.generationRetentionMaxChars,
          maxRunMs: longestGenerationMs(upstream),
          leaseMs: chat.generationLeaseMs,
        };
        return redis.client ? new RedisGenerationStore(redis, tracker, settings) : new MemoryGenerationStore(settings);
      },
    },
  ],
})
export class ChatModule {}
