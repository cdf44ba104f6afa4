import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { isUUID } from 'class-validator';
import { ExpiringMap } from '@app/common';
import type { AuthUser } from './auth-user.js';

export const JWT_ALGORITHM = 'HS256';

/** Enough for every token in use at once on a large deployment; past it, the oldest is verified again. */
const MAX_REMEMBERED = 10_000;

/**
 * Access tokens are stateless: one signed with our pinned algorithm and not expired is trusted without a
 * database read, which keeps authentication off the path to a reply's first token. Tokens are short-lived
 * (JWT_EXPIRES_IN). A token already verified is remembered until it expires, so a client's later requests
 * cost a lookup instead of a signature check and a JSON parse.
 */
@Injectable()
export class AccessTokensService {
  private readonly verified = new ExpiringMap<string, AuthUser>(MAX_REMEMBERED);

  constructor(private readonly jwt: JwtService) {}

  issue(user: { id: string; email: string }): Promise<string> {
    return this.jwt.signAsync({ sub: user.id, email: user.email });
  }

  /** Who the token is for, or null: malformed, tampered, expired, or without a user id as its subject. */
  verify(token: string): AuthUser | null {
    const known = this.verified.get(token);
    if (known) return known;
    let payload: { sub?: unknown; exp?: unknown };
    try {
      payload = this.jwt.verify(token);
    } catch {
      return null;
    }
    // A subject that is not a user id can name no user; refused here, it never reaches a uuid column.
    if (typeof payload.sub !== 'string' || !isUUID(payload.sub) || typeof payload.exp !== 'number') return null;
    const user = { id: payload.sub };
    this.verified.set(token, user, payload.exp * 1000);
    return user;
  }
}
