import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { authConfig, generateOpaqueSecret, hashOpaqueSecret } from '@app/common';
import { type NewRefreshToken, type RefreshTokenFamily, RefreshTokensRepository } from '@app/persistence';

/** Recognisable in logs and secret scanners, and never confused with an API key (`sk-chat-`) or a JWT. */
export const REFRESH_TOKEN_PREFIX = 'rt-chat-';

export interface IssuedRefreshToken {
  token: string;
  /** Seconds until it expires unused. */
  expiresIn: number;
}

/** What presenting a refresh token came to. */
export type RefreshOutcome =
  | { kind: 'rotated'; userId: string; tokenVersion: number; refreshToken: IssuedRefreshToken }
  /** The token had been exchanged already: someone holds a copy. Its whole family has been revoked. */
  | { kind: 'reused'; userId: string; familyId: string }
  /** Unknown, expired, revoked, or its account disabled or signed out everywhere since. */
  | { kind: 'refused' };

/**
 * Refresh tokens: opaque 256-bit secrets, stored as SHA-256, in families (one per sign-in). Each is exchanged once
 * for its successor; presenting one again revokes its family, so a copied token is worth one refresh at most and
 * its use logs the rightful device out, which then has to sign in again (and the theft is audited).
 */
@Injectable()
export class RefreshTokensService {
  constructor(
    private readonly tokens: RefreshTokensRepository,
    @Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>,
  ) {}

  async startFamily(user: { id: string; tokenVersion: number }): Promise<IssuedRefreshToken> {
    const { issued, stored } = this.generate();
    await this.tokens.startFamily(user.id, user.tokenVersion, stored);
    return issued;
  }

  async rotate(presented: string): Promise<RefreshOutcome> {
    const tokenHash = hashOpaqueSecret(presented);
    const { issued, stored } = this.generate();
    const rotated = await this.tokens.rotate(tokenHash, stored);
    if (rotated) return { kind: 'rotated', userId: rotated.userId, tokenVersion: rotated.tokenVersion, refreshToken: issued };
    const known = await this.tokens.findPresented(tokenHash);
    if (!known?.used) return { kind: 'refused' };
    await this.tokens.revokeFamily(known.familyId);
    return { kind: 'reused', userId: known.userId, familyId: known.familyId };
  }

  /** Ends the sign-in the token belongs to; null when it names none still open. */
  revokeFamilyOf(presented: string): Promise<RefreshTokenFamily | null> {
    return this.tokens.revokeFamilyOf(hashOpaqueSecret(presented));
  }

  private generate(): { issued: IssuedRefreshToken; stored: NewRefreshToken } {
    const token = generateOpaqueSecret(REFRESH_TOKEN_PREFIX);
    const expiresIn = this.config.refreshTokenTtlSeconds;
    return { issued: { token, expiresIn }, stored: { tokenHash: hashOpaqueSecret(token), expiresAt: new Date(Date.now() + expiresIn * 1000) } };
  }
}
