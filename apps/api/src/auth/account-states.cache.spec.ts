import { afterEach, describe, expect, it, jest } from '@jest/globals';
import type { AccountState, UsersRepository } from '@app/persistence';
import { ACCOUNT_STATE_TTL_MS, AccountStatesCache } from './account-states.cache.js';

const ACTIVE: AccountState = { role: 'member', tokenVersion: 0, disabled: false };

/** A users table of the given accounts that counts its reads. */
function usersTable(accounts: Map<string, AccountState>) {
  const reads: string[] = [];
  const repository = {
    findAccountState: async (userId: string) => {
      reads.push(userId);
      return accounts.get(userId) ?? null;
    },
  } as unknown as UsersRepository;
  return { repository, reads };
}

describe('AccountStatesCache', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('reads the database once per user per TTL, and sees a deleted user once the TTL has passed', async () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const accounts = new Map([['u1', ACTIVE]]);
    const { repository, reads } = usersTable(accounts);
    const states = new AccountStatesCache(repository);
    expect(await states.get('u1')).toEqual(ACTIVE);
    expect(await states.get('u1')).toEqual(ACTIVE);
    expect(reads).toEqual(['u1']);

    accounts.delete('u1');
    jest.setSystemTime(1_000_000 + ACCOUNT_STATE_TTL_MS - 1);
    expect(await states.get('u1')).toEqual(ACTIVE);
    jest.setSystemTime(1_000_000 + ACCOUNT_STATE_TTL_MS);
    expect(await states.get('u1')).toBeNull();
    expect(await states.get('u1')).toBeNull();
    expect(reads).toEqual(['u1', 'u1', 'u1']);
  });

  it('never remembers a user that does not exist', async () => {
    const { repository, reads } = usersTable(new Map());
    const states = new AccountStatesCache(repository);
    expect(await states.get('ghost')).toBeNull();
    expect(await states.get('ghost')).toBeNull();
    expect(reads).toEqual(['ghost', 'ghost']);
  });

  it('reads a forgotten account again at once, within the TTL', async () => {
    const accounts = new Map([['u1', ACTIVE]]);
    const { repository, reads } = usersTable(accounts);
    const states = new AccountStatesCache(repository);
    await states.get('u1');
    accounts.set('u1', { ...ACTIVE, tokenVersion: 1 });
    states.forget('u1');
    expect(await states.get('u1')).toEqual({ ...ACTIVE, tokenVersion: 1 });
    expect(reads).toEqual(['u1', 'u1']);
  });
});
