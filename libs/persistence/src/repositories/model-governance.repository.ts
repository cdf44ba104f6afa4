import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { type AliasTarget, ModelAliasEntity } from '../entities/model-alias.entity.js';
import { ModelPolicyEntity } from '../entities/model-policy.entity.js';
import type { UserRole } from '../entities/user.entity.js';

export type PolicyFields = Pick<ModelPolicyEntity, 'models' | 'maxOutputTokens' | 'minTemperature' | 'maxTemperature'>;
export type AliasFields = { targets: AliasTarget[]; fallbacks: AliasTarget[] };

/** The administrators' model policies (per role, per user) and model aliases: organisation settings, not a user's data. */
@Injectable()
export class ModelGovernanceRepository {
  constructor(
    @InjectRepository(ModelPolicyEntity) private readonly policies: Repository<ModelPolicyEntity>,
    @InjectRepository(ModelAliasEntity) private readonly aliases: Repository<ModelAliasEntity>,
  ) {}

  listRolePolicies(): Promise<ModelPolicyEntity[]> {
    return this.policies.createQueryBuilder('p').where('p.role IS NOT NULL').orderBy('p.role').getMany();
  }

  findRolePolicy(role: UserRole): Promise<ModelPolicyEntity | null> {
    return this.policies.findOneBy({ role });
  }

  findUserPolicy(userId: string): Promise<ModelPolicyEntity | null> {
    return this.policies.findOneBy({ userId });
  }

  async saveRolePolicy(role: UserRole, fields: PolicyFields): Promise<ModelPolicyEntity> {
    await this.policies.upsert({ role, userId: null, ...fields }, { conflictPaths: ['role'] });
    return this.policies.findOneByOrFail({ role });
  }

  async saveUserPolicy(userId: string, fields: PolicyFields): Promise<ModelPolicyEntity> {
    await this.policies.upsert({ userId, role: null, ...fields }, { conflictPaths: ['userId'] });
    return this.policies.findOneByOrFail({ userId });
  }

  async deleteRolePolicy(role: UserRole): Promise<boolean> {
    return ((await this.policies.delete({ role })).affected ?? 0) > 0;
  }

  async deleteUserPolicy(userId: string): Promise<boolean> {
    return ((await this.policies.delete({ userId })).affected ?? 0) > 0;
  }

  listAliases(limit: number): Promise<ModelAliasEntity[]> {
    return this.aliases.find({ order: { name: 'ASC' }, take: limit });
  }

  countAliases(): Promise<number> {
    return this.aliases.count();
  }

  findAlias(name: string): Promise<ModelAliasEntity | null> {
    return this.aliases.findOneBy({ name });
  }

  async saveAlias(name: string, fields: AliasFields): Promise<ModelAliasEntity> {
    await this.aliases.upsert({ name, ...fields }, { conflictPaths: ['name'] });
    return this.aliases.findOneByOrFail({ name });
  }

  async deleteAlias(name: string): Promise<boolean> {
    return ((await this.aliases.delete({ name })).affected ?? 0) > 0;
  }
}
