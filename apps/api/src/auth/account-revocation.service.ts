import { Injectable, type OnModuleInit } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { UsersRepository } from '@app/persistence';
import { GenerationsService } from '../generations/generations.service.js';
import { ReplicaAnnouncements } from '../redis/replica-announcements.service.js';
import { AccountStatesCache } from './account-states.cache.js';

const CHANNEL = 'accounts:changed';

export interface AccountChange {
  userId: string;
  /** End the user's live replies (`session_revoked`): the account may no longer use what it started. */
  endStreams: boolean;
}

/**
 * Makes a change to an account take effect at once on every replica: each forgets what it remembers of the
 * account (so the next request reads the new token version, role or disabled flag) and, when asked, ends the
 * user's live replies. Without REDIS_URL there is one process; with it, a lost announcement (Redis unreachable)
 * leaves another replica on the old state for at most ACCOUNT_STATE_TTL_MS.
 */
@Injectable()
export class AccountRevocation implements OnModuleInit {
  constructor(
    private readonly users: UsersRepository,
    private readonly accounts: AccountStatesCache,
    private readonly generations: GenerationsService,
    private readonly announcements: ReplicaAnnouncements,
  ) {}

  onModuleInit(): void {
    this.announcements.hear(CHANNEL, (message) => {
      const change = parseChange(message);
      if (change) void this.apply(change);
    });
  }

  /** Log out everywhere: every access and refresh token of the user refused from now on, live replies ended. */
  async endSessions(userId: string): Promise<void> {
    await this.users.endSessions(userId);
    await this.announce(userId, { endStreams: true });
  }

  /** For a caller that changed the account itself (disabled, enabled, deleted, a new role). */
  async announce(userId: string, { endStreams }: Pick<AccountChange, 'endStreams'>): Promise<void> {
    const change = { userId, endStreams };
    await this.apply(change);
    await this.announcements.announce(CHANNEL, JSON.stringify(change));
  }

  private async apply({ userId, endStreams }: AccountChange): Promise<void> {
    this.accounts.forget(userId);
    if (endStreams) await this.generations.stopUser(userId);
  }
}

/** Announcements come from our own replicas, but through a shared Redis: anything malformed is ignored. */
function parseChange(message: string): AccountChange | null {
  try {
    const change = JSON.parse(message) as Partial<AccountChange>;
    return typeof change.userId === 'string' && isUUID(change.userId) && typeof change.endStreams === 'boolean' ? { userId: change.userId, endStreams: change.endStreams } : null;
  } catch {
    return null;
  }
}
