import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { authConfig } from '@app/common';
import { UsersRepository } from '@app/persistence';
import type { AuthUser } from './auth-user.js';

export const JWT_ALGORITHM = 'HS256';

interface AccessTokenPayload {
  sub: string;
  email: string;
}

@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    @Inject(authConfig.KEY) config: ConfigType<typeof authConfig>,
    private readonly users: UsersRepository,
  ) {
    super({
      // Header only: an access token in a URL ends up in proxy logs and browser history.
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKey: config.jwtSecret,
      algorithms: [JWT_ALGORITHM],
      ignoreExpiration: false,
    });
  }

  /** A deleted account loses access at once, not when its token expires. */
  async validate(payload: AccessTokenPayload): Promise<AuthUser | false> {
    const user = await this.users.findSelf(payload.sub);
    return user ? { id: user.id, email: user.email } : false;
  }
}
