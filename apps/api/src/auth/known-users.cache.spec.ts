import { afterEach, describe, expect, it, jest } from '@jest/globals';
import type { UsersRepository } from '@app/persistence';
import { KNOWN_USER_TTL_MS, KnownUsersCache } from './known-users.cache.js';

/** A users table of the given ids that counts its reads. */
function usersTable(ids: Set<string>) {
  const reads: string[] = [];
  const repository = {
    exists: async (userId: string) => {
      reads.push(userId);
      return ids.has(userId);
    },
  } as unknown as UsersRepository;
  return { repository, reads };
}

describe('KnownUsersCache', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('reads the database once per user per TTL, and refuses a deleted user once the TTL has passed', async () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const ids = new Set(['u1']);
    const { repository, reads } = usersTable(ids);
    const known = new KnownUsersCache(repository);
    expect(await known.exists('u1')).toBe(true);
    expect(await known.exists('u1')).toBe(true);
    expect(reads).toEqual(['u1']);

    ids.delete('u1');
    jest.setSystemTime(1_000_000 + KNOWN_USER_TTL_MS - 1);
    expect(await known.exists('u1')).toBe(true);
    jest.setSystemTime(1_000_000 + KNOWN_USER_TTL_MS);
    expect(await known.exists('u1')).toBe(false);
    expect(await known.exists('u1')).toBe(false);
    expect(reads).toEqual(['u1', 'u1', 'u1']);
  });

  it('never remembers a user that does not exist', async () => {
    const { repository, reads } = usersTable(new Set());
    const known = new KnownUsersCache(repository);
    expect(await known.exists('ghost')).toBe(false);
    expect(await known.exists('ghost')).toBe(false);
    expect(reads).toEqual(['ghost', 'ghost']);
  });
});
