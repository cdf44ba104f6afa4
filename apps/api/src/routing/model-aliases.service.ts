import { Injectable, type OnModuleInit } from '@nestjs/common';
import { AppError, ReadThroughCache } from '@app/common';
import { type AliasFields, type AliasTarget, ModelGovernanceRepository, type ModelAliasEntity } from '@app/persistence';
import { AuditService } from '../audit/audit.service.js';
import type { RequestOrigin } from '../audit/request-origin.decorator.js';
import type { AuthUser } from '../auth/auth-user.js';
import { ReplicaAnnouncements } from '../redis/replica-announcements.service.js';

const CHANGES_CHANNEL = 'model-aliases:changed';
/** A bound for what a missed announcement (Redis reconnecting) can leave stale. */
const TTL_MS = 60_000;
/** Aliases are an organisation's short list of names, not data that grows with users. */
export const MAX_ALIASES = 200;

/**
 * The administrators' model aliases: a name (`fast`) that stands for weighted targets, then fallbacks in order.
 * Read on every reply that names one, so kept in memory and announced to every replica when changed.
 */
@Injectable()
export class ModelAliasesService implements OnModuleInit {
  private readonly cache: ReadThroughCache<string, ModelAliasEntity | null>;

  constructor(
    private readonly repository: ModelGovernanceRepository,
    private readonly audit: AuditService,
    private readonly announcements: ReplicaAnnouncements,
  ) {
    this.cache = new ReadThroughCache((name) => repository.findAlias(name), { maxEntries: MAX_ALIASES * 2, ttlMs: TTL_MS });
  }

  onModuleInit(): void {
    this.announcements.hear(CHANGES_CHANNEL, (name) => this.cache.forget(name));
  }

  /** The alias, or null: a name that is not one may still be a model. */
  find(name: string): Promise<ModelAliasEntity | null> {
    return this.cache.get(name);
  }

  /** Where a reply asking for the alias goes, in order: its targets in a weighted random order, then its fallbacks. */
  async route(name: string): Promise<AliasTarget[]> {
    const alias = await this.find(name);
    if (!alias) throw new AppError('ALIAS_NOT_FOUND', `There is no model alias named "${name.slice(0, 64)}"`);
    return [...weightedOrder(alias.targets), ...alias.fallbacks];
  }

  list(): Promise<ModelAliasEntity[]> {
    return this.repository.listAliases(MAX_ALIASES);
  }

  async get(name: string): Promise<ModelAliasEntity> {
    const alias = await this.repository.findAlias(name);
    if (!alias) throw new AppError('ALIAS_NOT_FOUND', `There is no model alias named "${name}"`);
    return alias;
  }

  async save(admin: AuthUser, name: string, fields: AliasFields, origin: RequestOrigin): Promise<ModelAliasEntity> {
    for (const target of [...fields.targets, ...fields.fallbacks]) {
      if (Boolean(target.connection) === Boolean(target.provider)) {
        throw new AppError('VALIDATION_FAILED', 'Each target names either a connection or a provider, not both');
      }
    }
    if (!(await this.repository.findAlias(name)) && (await this.repository.countAliases()) >= MAX_ALIASES) {
      throw new AppError('ALIAS_LIMIT_REACHED', `There are already ${MAX_ALIASES} aliases: delete one first`);
    }
    const saved = await this.repository.saveAlias(name, fields);
    await this.changed(name);
    await this.audit.record({ actor: admin.id, action: 'model_alias.saved', target: name, detail: { targets: fields.targets.length, fallbacks: fields.fallbacks.length } }, origin);
    return saved;
  }

  async remove(admin: AuthUser, name: string, origin: RequestOrigin): Promise<void> {
    if (!(await this.repository.deleteAlias(name))) throw new AppError('ALIAS_NOT_FOUND', `There is no model alias named "${name}"`);
    await this.changed(name);
    await this.audit.record({ actor: admin.id, action: 'model_alias.deleted', target: name }, origin);
  }

  private async changed(name: string): Promise<void> {
    this.cache.forget(name);
    await this.announcements.announce(CHANGES_CHANNEL, name);
  }
}

/**
 * Every target once, each drawn with a chance proportional to its weight among those left: the first is the
 * weighted choice, the rest follow as the next fallbacks (a target's failure tries its siblings before the
 * alias's fallbacks).
 */
export function weightedOrder(targets: readonly AliasTarget[], random: () => number = Math.random): AliasTarget[] {
  const left = [...targets];
  const ordered: AliasTarget[] = [];
  while (left.length > 0) {
    const total = left.reduce((sum, target) => sum + (target.weight ?? 1), 0);
    let draw = random() * total;
    const index = left.findIndex((target) => (draw -= target.weight ?? 1) < 0);
    ordered.push(...left.splice(index < 0 ? left.length - 1 : index, 1));
  }
  return ordered;
}
