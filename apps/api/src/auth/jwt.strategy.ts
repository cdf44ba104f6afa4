import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { PassportStrategy } from '@nestjs/passport';
import { createSecretKey } from 'node:crypto';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { authConfig } from '@app/common';
import type { AuthUser } from './auth-user.js';

export const JWT_ALGORITHM = 'HS256';

interface AccessTokenPayload {
  sub?: unknown;
}

/**
 * Stateless: a token signed with our pinned algorithm and not expired is trusted without a database read, which
 * keeps authentication off the path to a reply's first token. Tokens are short-lived (JWT_EXPIRES_IN).
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(@Inject(authConfig.KEY) config: ConfigType<typeof authConfig>) {
    super({
      // Header only: an access token in a URL ends up in proxy logs and browser history.
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      // A KeyObject: given a string, jsonwebtoken first tries (and fails) to parse it as a public key on every call.
      secretOrKey: createSecretKey(Buffer.from(config.jwtSecret, 'utf8')) as unknown as Buffer,
      algorithms: [JWT_ALGORITHM],
      ignoreExpiration: false,
    });
  }

  validate(payload: AccessTokenPayload): AuthUser | false {
    return typeof payload.sub === 'string' ? { id: payload.sub } : false;
  }
}
