import { Injectable } from '@nestjs/common';
import { ReadThroughCache } from '@app/common';
import { type AccountState, UsersRepository } from '@app/persistence';

/**
 * How long an account's state read from the database is trusted without another read, on a replica that has not
 * heard of a change (AccountRevocation announces every change; only a lost announcement relies on this bound).
 * Within it an active user costs one primary-key read per replica, not one per request, which keeps the check
 * off the path to a reply's first token.
 */
export const ACCOUNT_STATE_TTL_MS = 10_000;

/** Enough for every user active within the TTL on a large deployment; past it, the oldest is read again. */
const MAX_ACCOUNTS = 10_000;

/**
 * What a signed token cannot say by itself: whether its account still exists, is not disabled, and has not
 * revoked the tokens issued before (token version), and the account's current role. Access and stream tokens are
 * stateless, so without this a token of a deleted account would reach the database as a user id that no row has,
 * and a revoked one would keep working until it expires.
 */
@Injectable()
export class AccountStatesCache {
  private readonly states: ReadThroughCache<string, AccountState | null>;

  constructor(users: UsersRepository) {
    // A missing account is never remembered: a user id that no row has costs a read each time, as it should.
    this.states = new ReadThroughCache((userId) => users.findAccountState(userId), { maxEntries: MAX_ACCOUNTS, ttlMs: ACCOUNT_STATE_TTL_MS, keep: (state) => state !== null });
  }

  /** The account's state, or null when it no longer exists. */
  get(userId: string): Promise<AccountState | null> {
    return this.states.get(userId);
  }

  /** Drops what this replica remembers of the account, so its next request reads the new state. */
  forget(userId: string): void {
    this.states.forget(userId);
  }
}
