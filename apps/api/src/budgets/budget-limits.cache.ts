import { Injectable, type OnModuleInit } from '@nestjs/common';
import { ReadThroughCache } from '@app/common';
import { BudgetsRepository, type UserRole } from '@app/persistence';
import { ReplicaAnnouncements } from '../redis/replica-announcements.service.js';

/** Money as the database gives it: an exact decimal string. */
type Decimal = string;

const CHANGES_CHANNEL = 'budgets:changed';
/** What every replica is told when a role's budget changed: all of them may have. */
const ROLES = 'roles';
/** A bound for what a missed announcement (Redis reconnecting) can leave stale. */
const TTL_MS = 60_000;
/** Users active within the TTL on a large deployment; past it, the oldest is read again. */
const MAX_USERS = 10_000;

/**
 * The monthly limits every reply's budget check reads, kept in memory: reading them was a query before every
 * upstream request. A user's own limit is kept per user, the roles' limits as one table; the user's role comes
 * with the request (the account's current role, see AccountStatesCache), so a change of role needs no news from
 * here. A change made by this process is seen at once; with REDIS_URL, every replica hears of it at once too.
 */
@Injectable()
export class BudgetLimits implements OnModuleInit {
  private readonly own: ReadThroughCache<string, Decimal | null>;
  private readonly roles: ReadThroughCache<typeof ROLES, ReadonlyMap<string, Decimal>>;

  constructor(
    budgets: BudgetsRepository,
    private readonly announcements: ReplicaAnnouncements,
  ) {
    this.own = new ReadThroughCache((userId) => budgets.userLimit(userId), { maxEntries: MAX_USERS, ttlMs: TTL_MS });
    this.roles = new ReadThroughCache(async (): Promise<ReadonlyMap<string, Decimal>> => new Map((await budgets.roleLimits()).map((row) => [row.role, row.monthlyLimit])), { maxEntries: 1, ttlMs: TTL_MS });
  }

  onModuleInit(): void {
    this.announcements.hear(CHANGES_CHANNEL, (changed) => this.forget(changed));
  }

  /** The limit that applies to the user this month (theirs, else their role's), or null when none does. */
  async of(userId: string, role: UserRole): Promise<Decimal | null> {
    const [own, roles] = await Promise.all([this.own.get(userId), this.roles.get(ROLES)]);
    return own ?? roles.get(role) ?? null;
  }

  /** Call after a user's own limit was set or removed. */
  userChanged(userId: string): Promise<void> {
    return this.changed(userId);
  }

  /** Call after a role's limit was set or removed. */
  rolesChanged(): Promise<void> {
    return this.changed(ROLES);
  }

  private async changed(what: string): Promise<void> {
    this.forget(what);
    await this.announcements.announce(CHANGES_CHANNEL, what);
  }

  private forget(what: string): void {
    if (what === ROLES) this.roles.forget(ROLES);
    else this.own.forget(what);
  }
}
