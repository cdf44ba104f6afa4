import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import { isUUID } from 'class-validator';
import { createHmac } from 'node:crypto';
import { authConfig } from '@app/common';
import { JWT_ALGORITHM } from './access-tokens.service.js';

const AUDIENCE = 'chat-session-stream';

export interface StreamGrant {
  userId: string;
  sessionId: string;
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
    @Inject(authConfig.KEY) config: ConfigType<typeof authConfig>,
  ) {
    this.secret = createHmac('sha256', config.jwtSecret).update('stream-token').digest();
    this.ttlSeconds = config.streamTokenTtlSeconds;
  }

  issue(grant: StreamGrant): { token: string; expiresAt: Date } {
    const token = this.jwt.sign(
      { sub: grant.userId, sid: grant.sessionId },
      { secret: this.secret, algorithm: JWT_ALGORITHM, audience: AUDIENCE, expiresIn: this.ttlSeconds },
    );
    return { token, expiresAt: new Date(Date.now() + this.ttlSeconds * 1000) };
  }

  /** The grant, or null for anything else: expired, tampered, or another kind of token. */
  verify(token: string): StreamGrant | null {
    try {
      const payload = this.jwt.verify<{ sub?: unknown; sid?: unknown }>(token, { secret: this.secret, algorithms: [JWT_ALGORITHM], audience: AUDIENCE });
      return typeof payload.sub === 'string' && isUUID(payload.sub) && typeof payload.sid === 'string' ? { userId: payload.sub, sessionId: payload.sid } : null;
    } catch {
      return null;
    }
  }
}
