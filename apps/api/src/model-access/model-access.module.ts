import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { RedisModule } from '../redis/redis.module.js';
import { ModelPoliciesService } from './model-policies.service.js';

/** Which models a caller may use (policies per role and per user): asked by every path that starts a reply or lists models. */
@Module({
  imports: [AuditModule, RedisModule],
  providers: [ModelPoliciesService],
  exports: [ModelPoliciesService],
})
export class ModelAccessModule {}
