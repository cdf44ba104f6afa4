import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { isUUID } from 'class-validator';
import { ExpiringMap } from '@app/common';

export const JWT_ALGORITHM = 'HS256';

/** Enough for every token in use at once on a large deployment; past it, the oldest is verified again. */
const MAX_REMEMBERED = 10_000;

/** What a signed, unexpired access token says: its user, and the token version it was issued under. */
export interface AccessGrant {
  userId: string;
  tokenVersion: number;
}

/**
 * Access tokens are stateless: one signed with our pinned algorithm and not expired is trusted without a
 * database read, which keeps authentication off the path to a reply's first token. Tokens are short-lived
 * (JWT_EXPIRES_IN). A token already verified is remembered until it expires, so a client's later requests
 * cost a lookup instead of a signature check and a JSON parse.
 */
@Injectable()
export class AccessTokensService {
  private readonly verified = new ExpiringMap<string, AccessGrant>(MAX_REMEMBERED);

  constructor(private readonly jwt: JwtService) {}

  issue(user: { id: string; email: string; tokenVersion: number }): Promise<string> {
    return this.jwt.signAsync({ sub: user.id, email: user.email, ver: user.tokenVersion });
  }

  /**
   * Who the token is for and under which token version, or null: malformed, tampered, expired, or without a user
   * id as its subject. Whether the version is still current is the account's to say (AccountStatesCache).
   */
  verify(token: string): AccessGrant | null {
    const known = this.verified.get(token);
    if (known) return known;
    let payload: { sub?: unknown; exp?: unknown; ver?: unknown };
    try {
      payload = this.jwt.verify(token);
    } catch {
      return null;
    }
    // A subject that is not a user id can name no user; refused here, it never reaches a uuid column.
    if (typeof payload.sub !== 'string' || !isUUID(payload.sub) || typeof payload.exp !== 'number' || !Number.isSafeInteger(payload.ver)) return null;
    const grant = { userId: payload.sub, tokenVersion: payload.ver as number };
    this.verified.set(token, grant, payload.exp * 1000);
    return grant;
  }
}
