import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import { isUUID } from 'class-validator';
import { createHmac } from 'node:crypto';
import { AppError, authConfig } from '@app/common';
import { JWT_ALGORITHM } from './access-tokens.service.js';
import { AccountStatesCache } from './account-states.cache.js';

const AUDIENCE = 'chat-session-stream';

export interface StreamGrant {
  userId: string;
  sessionId: string;
  /** The account's token version when it was issued: logging out everywhere refuses it like an access token. */
  tokenVersion: number;
}

/**
 * Short-lived tokens that let a browser's EventSource (which cannot send headers) follow one session's stream.
 * They are signed with a key of their own, derived from JWT_SECRET, so a stream token is never accepted as an
 * access token, nor an access token in a URL.
 */
@Injectable()
export class StreamTokensService {
  private readonly secret: Buffer;
  private readonly ttlSeconds: number;

  constructor(
    private readonly jwt: JwtService,
    private readonly accounts: AccountStatesCache,
    @Inject(authConfig.KEY) config: ConfigType<typeof authConfig>,
  ) {
    this.secret = createHmac('sha256', config.jwtSecret).update('stream-token').digest();
    this.ttlSeconds = config.streamTokenTtlSeconds;
  }

  /** For a user and a session the caller has checked are theirs; under the account's current token version. */
  async issue(grant: Omit<StreamGrant, 'tokenVersion'>): Promise<{ token: string; expiresAt: Date }> {
    const account = await this.accounts.get(grant.userId);
    if (!account) throw new AppError('USER_NOT_FOUND', 'User not found');
    const token = this.jwt.sign(
      { sub: grant.userId, sid: grant.sessionId, ver: account.tokenVersion },
      { secret: this.secret, algorithm: JWT_ALGORITHM, audience: AUDIENCE, expiresIn: this.ttlSeconds },
    );
    return { token, expiresAt: new Date(Date.now() + this.ttlSeconds * 1000) };
  }

  /** The grant, or null for anything else: expired, tampered, or another kind of token. */
  verify(token: string): StreamGrant | null {
    try {
      const payload = this.jwt.verify<{ sub?: unknown; sid?: unknown; ver?: unknown }>(token, { secret: this.secret, algorithms: [JWT_ALGORITHM], audience: AUDIENCE });
      const { sub, sid, ver } = payload;
      return typeof sub === 'string' && isUUID(sub) && typeof sid === 'string' && Number.isSafeInteger(ver) ? { userId: sub, sessionId: sid, tokenVersion: ver as number } : null;
    } catch {
      return null;
    }
  }
}
