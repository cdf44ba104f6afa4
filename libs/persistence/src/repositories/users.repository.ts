import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { UserEntity, type UserRole } from '../entities/user.entity.js';

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

  async updateDisplayName(userId: string, displayName: string): Promise<UserEntity | null> {
    await this.users.update({ id: userId }, { displayName });
    return this.findSelf(userId);
  }

  async setPasswordHash(userId: string, passwordHash: string): Promise<void> {
    await this.users.update({ id: userId }, { passwordHash });
  }

  /** Removes the account; everything it owns goes with it through ON DELETE CASCADE. False if it was gone already. */
  async deleteSelf(userId: string): Promise<boolean> {
    const result = await this.users.delete({ id: userId });
    return (result.affected ?? 0) > 0;
  }
}
