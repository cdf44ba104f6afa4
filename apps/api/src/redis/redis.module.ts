import { Module } from '@nestjs/common';
import { RedisConnectionsService } from './redis-connections.service.js';

@Module({ providers: [RedisConnectionsService], exports: [RedisConnectionsService] })
export class RedisModule {}
