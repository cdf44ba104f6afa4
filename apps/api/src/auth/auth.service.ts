import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { AppError, authConfig } from '@app/common';
import { UsersRepository, type UserEntity } from '@app/persistence';
import { AccessTokensService } from './access-tokens.service.js';
import type { AuthUser } from './auth-user.js';
import { PasswordHasher } from './password.hasher.js';

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
    @Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>,
  ) {}

  async register(email: string, password: string, displayName?: string): Promise<IssuedSession> {
    const user = await this.users.createUser({
      email,
      passwordHash: await this.hasher.hash(password),
      displayName: displayName?.trim() || email.split('@')[0]!,
    });
    if (!user) throw new AppError('EMAIL_TAKEN', 'An account with this e-mail already exists');
    return this.signIn(user);
  }

  async login(email: string, password: string): Promise<IssuedSession> {
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
