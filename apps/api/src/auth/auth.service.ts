import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { AppError, authConfig } from '@app/common';
import { UsersRepository, type UserEntity } from '@app/persistence';
import { AuditService } from '../audit/audit.service.js';
import type { RequestOrigin } from '../audit/request-origin.decorator.js';
import { AccessTokensService } from './access-tokens.service.js';
import type { AuthUser } from './auth-user.js';
import { PasswordHasher } from './password.hasher.js';
import { SignInPolicy } from './sign-in.policy.js';

export interface IssuedSession {
  user: UserEntity;
  accessToken: string;
  expiresIn: number;
}

@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersRepository,
    private readonly hasher: PasswordHasher,
    private readonly accessTokens: AccessTokensService,
    private readonly policy: SignInPolicy,
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

  async login(email: string, password: string): Promise<IssuedSession> {
    this.policy.assertPasswordLogin();
    const user = await this.users.findByEmail(email);
    if (!(await this.hasher.verify(user?.passwordHash ?? undefined, password)) || !user) {
      // Same answer for an unknown e-mail and a wrong password: no account enumeration.
      throw new AppError('INVALID_CREDENTIALS', 'Invalid e-mail or password');
    }
    return this.signIn(user);
  }

  async me(auth: AuthUser): Promise<UserEntity> {
    const user = await this.users.findSelf(auth.id);
    if (!user) throw new AppError('USER_NOT_FOUND', 'User not found');
    return user;
  }

  /** The tokens of a sign-in, however the user proved who they are (password, single sign-on). */
  async signIn(user: UserEntity): Promise<IssuedSession> {
    const accessToken = await this.accessTokens.issue(user);
    return { user, accessToken, expiresIn: this.config.jwtExpiresInSeconds };
  }
}
