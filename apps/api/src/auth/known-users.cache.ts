import { Injectable } from '@nestjs/common';
import { ExpiringMap } from '@app/common';
import { UsersRepository } from '@app/persistence';

/**
 * How long a user found in the database is taken to still exist without another read. A signed token outlives
 * its account (it stays valid until JWT_EXPIRES_IN), so this bounds how long a deleted user keeps access: ten
 * seconds. Within it an active user costs one primary-key read per replica, not one per request, which keeps
 * the check off the path to a reply's first token.
 */
export const KNOWN_USER_TTL_MS = 10_000;

/** Enough for every user active within the TTL on a large deployment; past it, the oldest is read again. */
const MAX_KNOWN_USERS = 10_000;

/**
 * Whether the user a signed token names still exists. Access and stream tokens are stateless, so without this
 * a token of a deleted account would reach the database as a user id that no row has (foreign-key failures,
 * replies that cannot be saved).
 */
@Injectable()
export class KnownUsersCache {
  private readonly known = new ExpiringMap<string, true>(MAX_KNOWN_USERS);

  constructor(private readonly users: UsersRepository) {}

  async exists(userId: string): Promise<boolean> {
    if (this.known.get(userId)) return true;
    if (!(await this.users.exists(userId))) return false;
    this.known.set(userId, true, Date.now() + KNOWN_USER_TTL_MS);
    return true;
  }
}
