import { Module } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { chatConfig, upstreamConfig } from '@app/common';
import { BudgetsModule } from '../budgets/budgets.module.js';
import { MetricsModule } from '../observability/metrics.module.js';
import { RedisConnectionsService } from '../redis/redis-connections.service.js';
import { RedisModule } from '../redis/redis.module.js';
import { UsageModule } from '../usage/usage.module.js';
import { GenerationRegistry } from './generation.registry.js';
import { GenerationsService } from './generations.service.js';
import { ReplySaver } from './reply.saver.js';
import { RouteCooldowns } from './route-cooldowns.js';
import { StaleReplySweeper } from './stale-reply.sweeper.js';
import { GenerationStore, type GenerationStoreSettings, longestGenerationMs } from './stores/generation.store.js';
import { MemoryGenerationStore } from './stores/memory-generation.store.js';
import { RedisGenerationStore } from './stores/redis-generation.store.js';

/**
 * The running replies: started, followed and stopped by the chat stream, /v1 and NATS alike. Knows nothing of
 * HTTP or a protocol's framing: a caller hands it a `ReplyEncoder` and relays the events it gets back.
 */
@Module({
  imports: [BudgetsModule, MetricsModule, RedisModule, UsageModule],
  exports: [GenerationsService, RouteCooldowns],
  providers: [
    GenerationsService,
    RouteCooldowns,
    GenerationRegistry,
    ReplySaver,
    StaleReplySweeper,
    {
      provide: GenerationStore,
      inject: [RedisConnectionsService, GenerationRegistry, chatConfig.KEY, upstreamConfig.KEY],
      useFactory: (redis: RedisConnectionsService, registry: GenerationRegistry, chat: ConfigType<typeof chatConfig>, upstream: ConfigType<typeof upstreamConfig>) => {
        const settings: GenerationStoreSettings = {
          retentionMs: chat.generationRetentionMs,
          retentionMaxChars: chat.generationRetentionMaxChars,
          maxRunMs: longestGenerationMs(upstream),
          leaseMs: chat.generationLeaseMs,
        };
        return redis.client ? new RedisGenerationStore(redis, registry, settings) : new MemoryGenerationStore(settings);
      },
    },
  ],
})
export class GenerationsModule {}
