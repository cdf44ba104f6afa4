import { Module } from '@nestjs/common';
import { RedisConnectionsService } from './redis-connections.service.js';
import { ReplicaAnnouncements } from './replica-announcements.service.js';

@Module({ providers: [RedisConnectionsService, ReplicaAnnouncements], exports: [RedisConnectionsService, ReplicaAnnouncements] })
export class RedisModule {}
