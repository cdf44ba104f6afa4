import { Injectable } from '@nestjs/common';
import { AppError } from '@app/common';
import { type UserEntity, UsersRepository } from '@app/persistence';
import { appliedChange } from '../admin/applied-change.js';
import { AuditService } from '../audit/audit.service.js';
import type { RequestOrigin } from '../audit/request-origin.decorator.js';
import { AccountRevocation } from '../auth/account-revocation.service.js';
import type { AuthUser } from '../auth/auth-user.js';
import { AuthService, type IssuedSession } from '../auth/auth.service.js';
import { PasswordHasher } from '../auth/password.hasher.js';
import { FilesService } from '../files/files.service.js';

/** What a signed-in user may do to their own account. */
@Injectable()
export class AccountService {
  constructor(
    private readonly users: UsersRepository,
    private readonly hasher: PasswordHasher,
    private readonly auth: AuthService,
    private readonly revocation: AccountRevocation,
    private readonly audit: AuditService,
    private readonly files: FilesService,
  ) {}

  /**
   * Sets a new password, then ends every sign-in (other devices' access and refresh tokens, live streams) and signs
   * this device in again, so whoever knew the old password is out and the caller is not.
   */
  async changePassword(auth: AuthUser, currentPassword: string, newPassword: string, origin: RequestOrigin): Promise<IssuedSession> {
    const user = await this.self(auth);
    if (user.passwordHash === null) throw new AppError('PASSWORD_NOT_SET', 'This account signs in through single sign-on and has no password to change');
    await this.confirmPassword(user, currentPassword);
    await this.users.setPasswordHash(user.id, await this.hasher.hash(newPassword));
    await this.revocation.endSessions(user.id);
    // Read again: the token version was raised, and the new pair must carry the new one.
    const session = await this.auth.signIn(await this.self(auth));
    await this.audit.record({ actor: user.id, action: 'auth.password_changed', target: user.id }, origin);
    return session;
  }

  async updateProfile(auth: AuthUser, displayName: string): Promise<UserEntity> {
    const user = await this.users.updateDisplayName(auth.id, displayName.trim());
    if (!user) throw new AppError('USER_NOT_FOUND', 'User not found');
    return user;
  }

  /**
   * Deletes the account and, through the database's cascades, everything it owns: sessions and messages,
   * provider settings, API keys, refresh tokens, login codes, files (and then their bytes under FILES_DIR). An account with a password confirms with it, so a
   * borrowed access token cannot delete it; a single sign-on account has only its token to show. Then every
   * replica forgets the account and ends its live streams.
   */
  async deleteAccount(auth: AuthUser, password: string | undefined, origin: RequestOrigin): Promise<void> {
    const user = await this.self(auth);
    if (user.passwordHash !== null) await this.confirmPassword(user, password ?? '');
    // The last enabled admin cannot delete itself either: someone must be left to administer.
    appliedChange(await this.users.deleteAccount(user.id));
    await this.files.afterAccountDeletion(user.id);
    await this.revocation.announce(user.id, { endStreams: true });
    await this.audit.record({ actor: user.id, action: 'user.deleted', target: user.id, detail: { self: true } }, origin);
  }

  private async self(auth: AuthUser): Promise<UserEntity> {
    const user = await this.users.findSelf(auth.id);
    if (!user) throw new AppError('USER_NOT_FOUND', 'User not found');
    return user;
  }

  private async confirmPassword(user: UserEntity, password: string): Promise<void> {
    if (!(await this.hasher.verify(user.passwordHash ?? undefined, password))) {
      throw new AppError('CURRENT_PASSWORD_INCORRECT', 'The current password is not correct');
    }
  }
}
