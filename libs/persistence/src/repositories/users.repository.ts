import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import { ApiKeyEntity } from '../entities/api-key.entity.js';
import { UserEntity, type UserRole } from '../entities/user.entity.js';
import type { KeysetPosition } from './keyset-position.js';

export interface NewUser {
  email: string;
  passwordHash: string | null;
  displayName: string;
  role?: UserRole;
  oidcIssuer?: string;
  oidcSubject?: string;
}

export interface AccountState {
  role: UserRole;
  /** Access tokens issued under another version are refused. */
  tokenVersion: number;
  disabled: boolean;
}

export interface AccountFilter {
  /** Part of the e-mail or display name, matched literally (no wildcards), regardless of case. */
  search?: string;
  role?: UserRole;
}

/**
 * What a change that may remove an enabled admin came to: refused when the account is the last enabled admin,
 * so an organisation can never lock itself out of its own administration.
 */
export type GuardedChange<T> = { outcome: 'done'; result: T } | { outcome: 'not_found' } | { outcome: 'last_admin' };

/** LIKE's wildcards and its escape character, taken literally. */
const likePattern = (text: string) => `%${text.replace(/[\\%_]/g, '\\$&')}%`;

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

@Injectable()
export class UsersRepository {
  constructor(@InjectRepository(UserEntity) private readonly users: Repository<UserEntity>) {}

  /** Returns null when the address is taken (unique index), so callers need no racy pre-check. */
  async createUser(input: NewUser): Promise<UserEntity | null> {
    const rows = await this.users
      .createQueryBuilder()
      .insert()
      .values({ ...input, email: normaliseEmail(input.email) })
      .orIgnore()
      .returning('*')
      .execute();
    const row = (rows.raw as Record<string, unknown>[])[0];
    // Read back whole, with the database's defaults (role, token version), rather than rebuilt from the raw row.
    return row ? this.users.findOneByOrFail({ id: row.id as string }) : null;
  }

  /** The login lookup: the only read that is not scoped to an already-known user. */
  findByEmail(email: string): Promise<UserEntity | null> {
    return this.users.findOneBy({ email: normaliseEmail(email) });
  }

  findSelf(userId: string): Promise<UserEntity | null> {
    return this.users.findOneBy({ id: userId });
  }

  /** The single sign-on lookup: the account of a provider's subject (issuer and subject are unique together). */
  findByOidcIdentity(issuer: string, subject: string): Promise<UserEntity | null> {
    return this.users.findOneBy({ oidcIssuer: issuer, oidcSubject: subject });
  }

  /**
   * Attaches a provider identity to an account that has none yet, in one statement: of two sign-ins racing to
   * link the same account, one does. False when the account already has an identity (or no longer exists).
   */
  async linkOidcIdentity(userId: string, issuer: string, subject: string): Promise<boolean> {
    const result = await this.users
      .createQueryBuilder()
      .update()
      .set({ oidcIssuer: issuer, oidcSubject: subject })
      .where('id = :userId AND oidc_issuer IS NULL', { userId })
      .execute();
    return (result.affected ?? 0) > 0;
  }

  /**
   * Ends every sign-in of the account, in one statement: the token version is raised, so every access token
   * issued so far is refused, and every refresh token is revoked. False when there is no such account.
   */
  async endSessions(userId: string): Promise<boolean> {
    const rows = (await this.users.manager.query(
      `WITH ended AS (UPDATE users SET token_version = token_version + 1 WHERE id = $1 RETURNING id),
            revoked AS (UPDATE refresh_tokens SET revoked_at = now() WHERE user_id IN (SELECT id FROM ended) AND revoked_at IS NULL)
       SELECT id FROM ended`,
      [userId],
    )) as { id: string }[];
    return rows.length > 0;
  }

  /** What authentication needs to know of an account on each request: a primary-key read of three columns. */
  async findAccountState(userId: string): Promise<AccountState | null> {
    const row = await this.users.findOne({ where: { id: userId }, select: { role: true, tokenVersion: true, disabledAt: true } });
    return row && { role: row.role, tokenVersion: row.tokenVersion, disabled: row.disabledAt !== null };
  }

  /** The administrators' listing of every account, newest first; fetches one extra row so the caller knows whether a next page exists. */
  listAccounts(filter: AccountFilter, limit: number, after?: KeysetPosition): Promise<UserEntity[]> {
    const query = this.users
      .createQueryBuilder('u')
      .orderBy('u.created_at', 'DESC')
      .addOrderBy('u.id', 'DESC')
      .limit(limit + 1);
    if (filter.search) {
      query.andWhere(`(u.email ILIKE :pattern ESCAPE '\\' OR u.display_name ILIKE :pattern ESCAPE '\\')`, { pattern: likePattern(filter.search) });
    }
    if (filter.role) query.andWhere('u.role = :role', { role: filter.role });
    if (after) query.andWhere('(u.created_at, u.id) < (:at, :id)', { at: after.at, id: after.id });
    return query.getMany();
  }

  /** Any account, for administrators (every other read goes through the signed-in user's own id). */
  findAccount(userId: string): Promise<UserEntity | null> {
    return this.users.findOneBy({ id: userId });
  }

  /** Re-enables an account; null when there is none. */
  async enableAccount(userId: string): Promise<UserEntity | null> {
    const result = await this.users.update({ id: userId }, { disabledAt: null });
    return (result.affected ?? 0) > 0 ? this.findAccount(userId) : null;
  }

  /** A demotion of the last enabled admin is refused; a promotion always goes through. Also answers the role it had. */
  setRole(userId: string, role: UserRole): Promise<GuardedChange<{ user: UserEntity; previousRole: UserRole }>> {
    return this.keepingAnAdmin(userId, role !== 'admin', async (manager, previousRole) => {
      await manager.update(UserEntity, { id: userId }, { role });
      return { user: await manager.findOneByOrFail(UserEntity, { id: userId }), previousRole };
    });
  }

  /**
   * Marks the account disabled and deletes its API keys, together: from then on neither its keys nor a sign-in
   * work (signed tokens are refused through the account's state). Disabling a disabled account changes nothing.
   */
  disableAccount(userId: string): Promise<GuardedChange<UserEntity>> {
    return this.keepingAnAdmin(userId, true, async (manager) => {
      await manager.query(`UPDATE users SET disabled_at = now() WHERE id = $1 AND disabled_at IS NULL`, [userId]);
      await manager.delete(ApiKeyEntity, { userId });
      return manager.findOneByOrFail(UserEntity, { id: userId });
    });
  }

  /** Deletes the account; everything it owns goes with it (foreign keys cascade). */
  deleteAccount(userId: string): Promise<GuardedChange<true>> {
    return this.keepingAnAdmin(userId, true, async (manager) => {
      await manager.delete(UserEntity, { id: userId });
      return true as const;
    });
  }

  /**
   * Runs `change` unless it would leave no enabled admin. Race-safe: every enabled admin's row is locked first (in
   * id order, so two such changes cannot deadlock), so a concurrent change to any of them waits for this one to
   * commit and then counts again without the admin this one removed; two admins demoting each other leave one.
   */
  private keepingAnAdmin<T>(
    userId: string,
    removesAdmin: boolean,
    change: (manager: EntityManager, currentRole: UserRole) => Promise<T>,
  ): Promise<GuardedChange<T>> {
    return this.users.manager.transaction(async (manager): Promise<GuardedChange<T>> => {
      const admins = (await manager.query(`SELECT id FROM users WHERE role = 'admin' AND disabled_at IS NULL ORDER BY id FOR UPDATE`)) as { id: string }[];
      const [target] = (await manager.query(`SELECT role FROM users WHERE id = $1 FOR UPDATE`, [userId])) as { role: UserRole }[];
      if (!target) return { outcome: 'not_found' };
      if (removesAdmin && admins.length === 1 && admins[0]!.id === userId) return { outcome: 'last_admin' };
      return { outcome: 'done', result: await change(manager, target.role) };
    });
  }

  async updateDisplayName(userId: string, displayName: string): Promise<UserEntity | null> {
    await this.users.update({ id: userId }, { displayName });
    return this.findSelf(userId);
  }

  async setPasswordHash(userId: string, passwordHash: string): Promise<void> {
    await this.users.update({ id: userId }, { passwordHash });
  }
}
