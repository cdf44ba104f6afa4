import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { SharedLinkEntity, type SharedSnapshot } from '../entities/shared-link.entity.js';

export interface NewSharedLink {
  userId: string;
  sessionId: string;
  tokenHash: string;
  snapshot: SharedSnapshot;
  expiresAt: Date | null;
}

/** A link as its owner sees it: never the snapshot, never the token (only its hash is kept). */
export type SharedLinkInfo = Pick<SharedLinkEntity, 'id' | 'sessionId' | 'createdAt' | 'expiresAt'>;

/** The limits on links, checked in the statement that creates one. */
export interface SharedLinkLimits {
  perSession: number;
  perUser: number;
}

const INFO_COLUMNS = `id, session_id AS "sessionId", created_at AS "createdAt", expires_at AS "expiresAt"`;
const LIVE = `(expires_at IS NULL OR expires_at > now())`;

@Injectable()
export class SharedLinksRepository {
  constructor(@InjectRepository(SharedLinkEntity) private readonly links: Repository<SharedLinkEntity>) {}

  /**
   * Null when the session is not the user's, or (`limitReached`) when the session or the user already has as many
   * live links as allowed; counted in the same statement. Expired links are removed on the way.
   */
  async createOwned(link: NewSharedLink, limits: SharedLinkLimits): Promise<SharedLinkInfo | 'limitReached' | null> {
    await this.links.manager.query(`DELETE FROM shared_links WHERE user_id = $1 AND NOT ${LIVE}`, [link.userId]);
    const rows: (SharedLinkInfo & { owned: boolean })[] = await this.links.manager.query(
      `WITH owned AS (SELECT id FROM chat_sessions WHERE id = $2 AND user_id = $1),
       saved AS (
         INSERT INTO shared_links (user_id, session_id, token_hash, snapshot, expires_at)
         SELECT $1, owned.id, $3, $4, $5 FROM owned
          WHERE (SELECT count(*) FROM shared_links WHERE session_id = $2) < $6
            AND (SELECT count(*) FROM shared_links WHERE user_id = $1) < $7
         RETURNING ${INFO_COLUMNS})
       SELECT saved.*, true AS owned FROM saved
       UNION ALL SELECT NULL, NULL, NULL, NULL, true FROM owned WHERE NOT EXISTS (SELECT 1 FROM saved)`,
      [link.userId, link.sessionId, link.tokenHash, link.snapshot, link.expiresAt, limits.perSession, limits.perUser],
    );
    const [row] = rows;
    if (!row) return null;
    if (!row.id) return 'limitReached';
    const { id, sessionId, createdAt, expiresAt } = row;
    return { id, sessionId, createdAt, expiresAt };
  }

  /** The live links of the user's session, newest first. */
  listOwned(userId: string, sessionId: string): Promise<SharedLinkInfo[]> {
    return this.links.manager.query(`SELECT ${INFO_COLUMNS} FROM shared_links WHERE user_id = $1 AND session_id = $2 AND ${LIVE} ORDER BY created_at DESC, id DESC`, [
      userId,
      sessionId,
    ]);
  }

  /** Revoking deletes the link: its token is then unknown, like one never made. */
  async deleteOwned(userId: string, sessionId: string, linkId: string): Promise<boolean> {
    const result = await this.links.delete({ id: linkId, userId, sessionId });
    return (result.affected ?? 0) > 0;
  }

  /** The snapshot behind a live token: anyone holding it may read it. */
  async findLiveByTokenHash(tokenHash: string): Promise<Pick<SharedLinkEntity, 'snapshot' | 'createdAt' | 'expiresAt'> | null> {
    const rows: Pick<SharedLinkEntity, 'snapshot' | 'createdAt' | 'expiresAt'>[] = await this.links.manager.query(
      `SELECT snapshot, created_at AS "createdAt", expires_at AS "expiresAt" FROM shared_links WHERE token_hash = $1 AND ${LIVE}`,
      [tokenHash],
    );
    return rows[0] ?? null;
  }
}
