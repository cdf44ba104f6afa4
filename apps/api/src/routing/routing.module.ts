import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { GenerationsModule } from '../generations/generations.module.js';
import { ModelAccessModule } from '../model-access/model-access.module.js';
import { ProvidersModule } from '../providers/providers.module.js';
import { RedisModule } from '../redis/redis.module.js';
import { ModelAliasesService } from './model-aliases.service.js';
import { RoutingService } from './routing.service.js';

/** Where a reply goes: the caller's policy, aliases with their fallbacks, cooldowns. */
@Module({
  imports: [AuditModule, GenerationsModule, ModelAccessModule, ProvidersModule, RedisModule],
  providers: [RoutingService, ModelAliasesService],
  exports: [RoutingService, ModelAliasesService, ModelAccessModule],
})
export class RoutingModule {}
