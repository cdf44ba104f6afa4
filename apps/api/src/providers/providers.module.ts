import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { ModelAccessModule } from '../model-access/model-access.module.js';
import { RedisModule } from '../redis/redis.module.js';
import { ConnectionCache } from './connection.cache.js';
import { ConnectionsService } from './connections.service.js';
import { CredentialCache } from './credential.cache.js';
import { ProvidersController } from './providers.controller.js';
import { ProvidersService } from './providers.service.js';

@Module({
  imports: [RedisModule, AuditModule, ModelAccessModule],
  controllers: [ProvidersController],
  providers: [ProvidersService, CredentialCache, ConnectionCache, ConnectionsService],
  exports: [ProvidersService, ConnectionsService],
})
export class ProvidersModule {}
