import { Injectable } from '@nestjs/common';
import { AppError } from '@app/common';
import { type AccountFilter, type UserEntity, type UserRole, UsersRepository } from '@app/persistence';
import { AuditService } from '../audit/audit.service.js';
import { appliedChange } from './applied-change.js';
import type { RequestOrigin } from '../audit/request-origin.decorator.js';
import { AccountRevocation } from '../auth/account-revocation.service.js';
import { FilesService } from '../files/files.service.js';
import type { AuthUser } from '../auth/auth-user.js';
import { decodeCursor, encodeCursor } from '../http/page-cursor.js';

export interface UserPage {
  users: UserEntity[];
  nextCursor: string | null;
}

/** What administrators do to accounts. Each change is audited with the administrator as actor and applies at once on every replica. */
@Injectable()
export class AdminUsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly revocation: AccountRevocation,
    private readonly audit: AuditService,
    private readonly files: FilesService,
  ) {}

  async list(filter: AccountFilter, limit: number, cursor?: string): Promise<UserPage> {
    const rows = await this.users.listAccounts(filter, limit, cursor ? decodeCursor(cursor) : undefined);
    const users = rows.slice(0, limit);
    const last = users.at(-1);
    return { users, nextCursor: rows.length > limit && last ? encodeCursor({ at: last.createdAt, id: last.id }) : null };
  }

  async get(userId: string): Promise<UserEntity> {
    return found(await this.users.findAccount(userId));
  }

  async setRole(admin: AuthUser, userId: string, role: UserRole, origin: RequestOrigin): Promise<UserEntity> {
    const { user, previousRole } = appliedChange(await this.users.setRole(userId, role));
    if (previousRole !== role) {
      // Every replica re-reads the account, so the new role holds from the next request on, whichever replica serves it.
      await this.revocation.announce(userId, { endStreams: false });
      await this.audit.record({ actor: admin.id, action: 'user.role_changed', target: userId, detail: { from: previousRole, to: role } }, origin);
    }
    return user;
  }

  async disable(admin: AuthUser, userId: string, origin: RequestOrigin): Promise<UserEntity> {
    const user = appliedChange(await this.users.disableAccount(userId));
    // Refuses every access token issued so far, revokes the refresh tokens and ends the live streams, on every replica.
    await this.revocation.endSessions(userId);
    await this.audit.record({ actor: admin.id, action: 'user.disabled', target: userId }, origin);
    return user;
  }

  async enable(admin: AuthUser, userId: string, origin: RequestOrigin): Promise<UserEntity> {
    const user = found(await this.users.enableAccount(userId));
    await this.revocation.announce(userId, { endStreams: false });
    await this.audit.record({ actor: admin.id, action: 'user.enabled', target: userId }, origin);
    return user;
  }

  async remove(admin: AuthUser, userId: string, origin: RequestOrigin): Promise<void> {
    appliedChange(await this.users.deleteAccount(userId));
    await this.files.afterAccountDeletion(userId);
    await this.revocation.announce(userId, { endStreams: true });
    await this.audit.record({ actor: admin.id, action: 'user.deleted', target: userId }, origin);
  }
}

function found<T>(user: T | null): T {
  if (!user) throw new AppError('USER_NOT_FOUND', 'User not found');
  return user;
}

