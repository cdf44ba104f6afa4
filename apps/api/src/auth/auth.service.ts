import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { AppError, authConfig } from '@app/common';
import { UsersRepository, type UserEntity } from '@app/persistence';
import { AuditService } from '../audit/audit.service.js';
import { SYSTEM_ACTOR } from '../audit/audit-actions.js';
import type { RequestOrigin } from '../audit/request-origin.decorator.js';
import { AccessTokensService } from './access-tokens.service.js';
import { AccountRevocation } from './account-revocation.service.js';
import type { AuthUser } from './auth-user.js';
import { PasswordHasher } from './password.hasher.js';
import { SignInPolicy } from './sign-in.policy.js';
import { RefreshTokensService } from './refresh-tokens.service.js';

/** The token pair of a sign-in (or of a refresh, which continues one). */
export interface IssuedSession {
  user: UserEntity;
  accessToken: string;
  /** Seconds until the access token expires. */
  expiresIn: number;
  refreshToken: string;
  /** Seconds until the refresh token expires unused. */
  refreshExpiresIn: number;
}

@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersRepository,
    private readonly hasher: PasswordHasher,
    private readonly accessTokens: AccessTokensService,
    private readonly policy: SignInPolicy,
    private readonly refreshTokens: RefreshTokensService,
    private readonly revocation: AccountRevocation,
    private readonly audit: AuditService,
    @Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>,
  ) {}

  async register(email: string, password: string, displayName: string | undefined, origin: RequestOrigin): Promise<IssuedSession> {
    this.policy.assertMayRegister(email);
    const user = await this.users.createUser({
      email,
      passwordHash: await this.hasher.hash(password),
      displayName: displayName?.trim() || email.split('@')[0]!,
      role: this.policy.roleAtRegistration(email),
    });
    if (!user) throw new AppError('EMAIL_TAKEN', 'An account with this e-mail already exists');
    await this.audit.record({ actor: user.id, action: 'user.registered', target: user.id, detail: { method: 'password', role: user.role } }, origin);
    return this.signIn(user);
  }

  async login(email: string, password: string, origin: RequestOrigin): Promise<IssuedSession> {
    this.policy.assertPasswordLogin();
    const user = await this.users.findByEmail(email);
    if (!(await this.hasher.verify(user?.passwordHash ?? undefined, password)) || !user) {
      // The address tried is kept (cut by the audit writer) so administrators can see what is being guessed.
      await this.audit.record({ actor: SYSTEM_ACTOR, action: 'auth.login_failed', target: user?.id, detail: { email, reason: 'invalid_credentials' } }, origin);
      // Same answer for an unknown e-mail and a wrong password: no account enumeration.
      throw new AppError('INVALID_CREDENTIALS', 'Invalid e-mail or password');
    }
    if (user.disabledAt) {
      await this.audit.record({ actor: SYSTEM_ACTOR, action: 'auth.login_failed', target: user.id, detail: { email, reason: 'disabled' } }, origin);
      // Only after the right password: the account's state is no secret from its owner.
      throw new AppError('ACCOUNT_DISABLED', 'This account is disabled; ask an administrator');
    }
    const session = await this.signIn(user);
    await this.audit.record({ actor: user.id, action: 'auth.login', target: user.id, detail: { method: 'password' } }, origin);
    return session;
  }

  /** Exchanges a refresh token for a new pair. A token presented twice ends its sign-in on every device holding it. */
  async refresh(refreshToken: string, origin: RequestOrigin): Promise<IssuedSession> {
    const outcome = await this.refreshTokens.rotate(refreshToken);
    if (outcome.kind === 'reused') {
      await this.audit.record({ actor: outcome.userId, action: 'auth.refresh_reuse', target: outcome.userId, detail: { familyId: outcome.familyId } }, origin);
    }
    const user = outcome.kind === 'rotated' ? await this.users.findSelf(outcome.userId) : null;
    if (outcome.kind !== 'rotated' || !user) throw new AppError('REFRESH_TOKEN_INVALID', 'The refresh token is invalid, expired or revoked; sign in again');
    // Under the version the refresh token carried, not the one just read: a version raised in between (log out
    // everywhere) must refuse this access token as well.
    const access = await this.accessPart({ ...user, tokenVersion: outcome.tokenVersion });
    return { ...access, refreshToken: outcome.refreshToken.token, refreshExpiresIn: outcome.refreshToken.expiresIn };
  }

  /**
   * Logs this device out: ends the refresh token's family. Idempotent, and silent about tokens it does not know.
   * The device's access token lives on until it expires (JWT_EXPIRES_IN); logout-all ends those too.
   */
  async logout(refreshToken: string, origin: RequestOrigin): Promise<void> {
    const ended = await this.refreshTokens.revokeFamilyOf(refreshToken);
    if (ended) await this.audit.record({ actor: ended.userId, action: 'auth.logout', target: ended.userId, detail: { familyId: ended.familyId } }, origin);
  }

  /** Ends every sign-in of the user at once, on every replica: access and refresh tokens, live streams. */
  async logoutAll(auth: AuthUser, origin: RequestOrigin): Promise<void> {
    await this.revocation.endSessions(auth.id);
    await this.audit.record({ actor: auth.id, action: 'auth.logout_all', target: auth.id }, origin);
  }

  async me(auth: AuthUser): Promise<UserEntity> {
    const user = await this.users.findSelf(auth.id);
    if (!user) throw new AppError('USER_NOT_FOUND', 'User not found');
    return user;
  }

  /** The token pair of a sign-in, however the user proved who they are (password, single sign-on). */
  async signIn(user: UserEntity): Promise<IssuedSession> {
    const [access, refresh] = await Promise.all([this.accessPart(user), this.refreshTokens.startFamily(user)]);
    return { ...access, refreshToken: refresh.token, refreshExpiresIn: refresh.expiresIn };
  }

  private async accessPart(user: UserEntity): Promise<Pick<IssuedSession, 'user' | 'accessToken' | 'expiresIn'>> {
    return { user, accessToken: await this.accessTokens.issue(user), expiresIn: this.config.jwtExpiresInSeconds };
  }
}
