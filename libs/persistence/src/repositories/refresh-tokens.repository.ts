import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { RefreshTokenEntity } from '../entities/refresh-token.entity.js';

/** The hash of a refresh token, and when it stops being accepted. */
export interface NewRefreshToken {
  tokenHash: string;
  expiresAt: Date;
}

/** The sign-in a refresh token belongs to. */
export interface RefreshTokenFamily {
  userId: string;
  familyId: string;
}

export interface RotatedRefreshToken extends RefreshTokenFamily {
  /** The account's token version the successor was issued under: the access token issued with it carries the same. */
  tokenVersion: number;
}

export interface PresentedRefreshToken extends RefreshTokenFamily {
  /** Already exchanged for its successor: presenting it again means it was copied. */
  used: boolean;
}

/**
 * Sign-ins (families) one user may keep at once; signing in once more ends the oldest. Keeps a user's rows
 * bounded however often they sign in.
 */
export const MAX_FAMILIES_PER_USER = 100;

/**
 * Used tokens kept per family, newest first, to recognise a copied one when it comes back. Older ones are
 * forgotten: presented, they are merely unknown (refused without ending the family).
 */
export const USED_TOKENS_KEPT_PER_FAMILY = 32;

/** Refresh tokens by the SHA-256 of their secret; each statement that decides something decides it alone. */
@Injectable()
export class RefreshTokensRepository {
  constructor(@InjectRepository(RefreshTokenEntity) private readonly tokens: Repository<RefreshTokenEntity>) {}

  /**
   * Opens a family (one sign-in, one device) with its first token, under the token version the sign-in read (the
   * access token issued with it carries the same, so a version raised meanwhile refuses both). Also drops the user's expired and revoked rows and ends the families beyond MAX_FAMILIES_PER_USER.
   */
  async startFamily(userId: string, tokenVersion: number, token: NewRefreshToken): Promise<void> {
    await this.tokens.manager.query(
      `INSERT INTO refresh_tokens (user_id, family_id, token_hash, expires_at, token_version) VALUES ($1, gen_random_uuid(), $2, $3, $4)`,
      [userId, token.tokenHash, token.expiresAt, tokenVersion],
    );
    await this.tokens.manager.query(`DELETE FROM refresh_tokens WHERE user_id = $1 AND (expires_at < now() OR revoked_at IS NOT NULL)`, [userId]);
    await this.tokens.manager.query(
      `UPDATE refresh_tokens SET revoked_at = now()
        WHERE revoked_at IS NULL AND family_id IN (
          SELECT family_id FROM refresh_tokens WHERE user_id = $1 AND used_at IS NULL AND revoked_at IS NULL
           ORDER BY created_at DESC OFFSET $2)`,
      [userId, MAX_FAMILIES_PER_USER],
    );
  }

  /**
   * Exchanges a live token for its successor in one statement: the token is marked used only if it was neither
   * used nor revoked nor expired, its account is enabled and has not raised its token version since; the
   * successor joins the same family. Of two concurrent exchanges of one token, PostgreSQL's row lock lets exactly
   * one through (the other re-reads the row, finds it used, and gets null). Null: the token was not live.
   */
  async rotate(tokenHash: string, successor: NewRefreshToken): Promise<RotatedRefreshToken | null> {
    const rows = (await this.tokens.manager.query(
      `WITH used AS (
         UPDATE refresh_tokens t SET used_at = now()
           FROM users u
          WHERE t.token_hash = $1 AND t.used_at IS NULL AND t.revoked_at IS NULL AND t.expires_at > now()
            AND u.id = t.user_id AND u.disabled_at IS NULL AND u.token_version = t.token_version
          RETURNING t.user_id, t.family_id, t.token_version)
       INSERT INTO refresh_tokens (user_id, family_id, token_hash, expires_at, token_version)
       SELECT user_id, family_id, $2, $3, token_version FROM used
       RETURNING user_id AS "userId", family_id AS "familyId", token_version AS "tokenVersion"`,
      [tokenHash, successor.tokenHash, successor.expiresAt],
    )) as RotatedRefreshToken[];
    const rotated = rows[0] ?? null;
    if (rotated) {
      await this.tokens.manager.query(
        `DELETE FROM refresh_tokens WHERE family_id = $1 AND used_at IS NOT NULL AND id NOT IN (
           SELECT id FROM refresh_tokens WHERE family_id = $1 AND used_at IS NOT NULL ORDER BY used_at DESC LIMIT $2)`,
        [rotated.familyId, USED_TOKENS_KEPT_PER_FAMILY],
      );
    }
    return rotated;
  }

  /** What a token that could not be exchanged was: unknown (null), or a token of this family, used or not. */
  async findPresented(tokenHash: string): Promise<PresentedRefreshToken | null> {
    const row = await this.tokens.findOne({ where: { tokenHash }, select: { userId: true, familyId: true, usedAt: true } });
    return row && { userId: row.userId, familyId: row.familyId, used: row.usedAt !== null };
  }

  /** Ends every token of the family at once (theft detected). */
  async revokeFamily(familyId: string): Promise<void> {
    await this.tokens.manager.query(`UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL`, [familyId]);
  }

  /** Logging out one device: ends the family of the token presented. Null when it names no live family. */
  async revokeFamilyOf(tokenHash: string): Promise<RefreshTokenFamily | null> {
    const [rows] = (await this.tokens.manager.query(
      `UPDATE refresh_tokens SET revoked_at = now()
        WHERE revoked_at IS NULL AND family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash = $1)
        RETURNING user_id AS "userId", family_id AS "familyId"`,
      [tokenHash],
    )) as [RefreshTokenFamily[], number];
    return rows[0] ?? null;
  }
}
