import { Injectable, type OnModuleInit } from '@nestjs/common';
import { AppError, ReadThroughCache } from '@app/common';
import { ModelGovernanceRepository, type ModelPolicyEntity, type PolicyFields, type UserRole, USER_ROLES, UsersRepository } from '@app/persistence';
import { AuditService } from '../audit/audit.service.js';
import type { RequestOrigin } from '../audit/request-origin.decorator.js';
import type { AuthUser } from '../auth/auth-user.js';
import { ReplicaAnnouncements } from '../redis/replica-announcements.service.js';
import { ModelPolicy, UNRESTRICTED } from './model-policy.js';

const CHANGES_CHANNEL = 'model-policies:changed';
/** A bound for what a missed announcement (Redis reconnecting) can leave stale. */
const TTL_MS = 60_000;
const MAX_ENTRIES = 10_000;

/**
 * Which models each role may use, and within which limits; a user's override replaces their role's policy.
 * Read on every reply, so kept in memory; a change is announced to every replica (REDIS_URL) and applies from
 * the next request on. Without any policy everything is allowed, as before policies existed.
 */
@Injectable()
export class ModelPoliciesService implements OnModuleInit {
  private readonly cache: ReadThroughCache<string, ModelPolicy | null>;

  constructor(
    private readonly repository: ModelGovernanceRepository,
    private readonly users: UsersRepository,
    private readonly audit: AuditService,
    private readonly announcements: ReplicaAnnouncements,
  ) {
    this.cache = new ReadThroughCache(
      async (key) => {
        const [kind, id] = key.split(':') as ['role' | 'user', string];
        const row = kind === 'role' ? await repository.findRolePolicy(id as UserRole) : await repository.findUserPolicy(id);
        return row && new ModelPolicy(row);
      },
      { maxEntries: MAX_ENTRIES, ttlMs: TTL_MS },
    );
  }

  onModuleInit(): void {
    this.announcements.hear(CHANGES_CHANNEL, (key) => this.cache.forget(key));
  }

  /** The policy that applies to this caller: their override, else their role's, else no limit. */
  async effective(user: AuthUser): Promise<ModelPolicy> {
    return (await this.cache.get(`user:${user.id}`)) ?? (await this.cache.get(`role:${user.role}`)) ?? UNRESTRICTED;
  }

  /** Refuses (403 model_not_allowed) a model the caller's policy does not allow; returns the policy for its caps. */
  async assertAllowed(user: AuthUser, provider: string, model: string): Promise<ModelPolicy> {
    const policy = await this.effective(user);
    if (!policy.allows(provider, model)) {
      throw new AppError('MODEL_NOT_ALLOWED', `You may not use ${provider}/${model.slice(0, 200)}: ask an administrator for access`);
    }
    return policy;
  }

  /** Every role with its policy, or null where none is set (no limit). */
  async listRoles(): Promise<{ role: UserRole; policy: ModelPolicyEntity | null }[]> {
    const rows = await this.repository.listRolePolicies();
    return USER_ROLES.map((role) => ({ role, policy: rows.find((row) => row.role === role) ?? null }));
  }

  async saveRole(admin: AuthUser, role: UserRole, fields: PolicyFields, origin: RequestOrigin): Promise<ModelPolicyEntity> {
    const saved = await this.repository.saveRolePolicy(role, checked(fields));
    await this.changed(`role:${role}`, admin, 'model_policy.saved', `role:${role}`, fields, origin);
    return saved;
  }

  async removeRole(admin: AuthUser, role: UserRole, origin: RequestOrigin): Promise<void> {
    if (!(await this.repository.deleteRolePolicy(role))) throw new AppError('POLICY_NOT_FOUND', `No policy is set for the role ${role}`);
    await this.changed(`role:${role}`, admin, 'model_policy.deleted', `role:${role}`, undefined, origin);
  }

  async getUser(userId: string): Promise<ModelPolicyEntity> {
    await this.assertUser(userId);
    const policy = await this.repository.findUserPolicy(userId);
    if (!policy) throw new AppError('POLICY_NOT_FOUND', 'This user has no policy of their own: their role’s applies');
    return policy;
  }

  async saveUser(admin: AuthUser, userId: string, fields: PolicyFields, origin: RequestOrigin): Promise<ModelPolicyEntity> {
    await this.assertUser(userId);
    const saved = await this.repository.saveUserPolicy(userId, checked(fields));
    await this.changed(`user:${userId}`, admin, 'model_policy.saved', userId, fields, origin);
    return saved;
  }

  async removeUser(admin: AuthUser, userId: string, origin: RequestOrigin): Promise<void> {
    await this.assertUser(userId);
    if (!(await this.repository.deleteUserPolicy(userId))) throw new AppError('POLICY_NOT_FOUND', 'This user has no policy of their own');
    await this.changed(`user:${userId}`, admin, 'model_policy.deleted', userId, undefined, origin);
  }

  private async assertUser(userId: string): Promise<void> {
    if (!(await this.users.findAccount(userId))) throw new AppError('USER_NOT_FOUND', 'User not found');
  }

  private async changed(
    key: string,
    admin: AuthUser,
    action: 'model_policy.saved' | 'model_policy.deleted',
    target: string,
    fields: PolicyFields | undefined,
    origin: RequestOrigin,
  ): Promise<void> {
    this.cache.forget(key);
    await this.announcements.announce(CHANGES_CHANNEL, key);
    // The audit detail is flat: the patterns as one list, truncated by the audit log's own bound.
    const detail = fields && { ...fields, models: fields.models?.join(', ') ?? null };
    await this.audit.record({ actor: admin.id, action, target, ...(detail && { detail }) }, origin);
  }
}

function checked(fields: PolicyFields): PolicyFields {
  const { minTemperature, maxTemperature } = fields;
  if (minTemperature !== null && maxTemperature !== null && minTemperature > maxTemperature) {
    throw new AppError('VALIDATION_FAILED', 'minTemperature must not be above maxTemperature');
  }
  return fields;
}
