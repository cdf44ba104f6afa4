import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { ChatSessionEntity } from '../entities/chat-session.entity.js';

/** Keyset cursor: the last row of the previous page. */
export interface SessionCursor {
  updatedAt: Date;
  id: string;
}

@Injectable()
export class ChatSessionsRepository {
  constructor(@InjectRepository(ChatSessionEntity) private readonly sessions: Repository<ChatSessionEntity>) {}

  /** Plain SQL: continuing a session reads it before the first token. */
  async findOwned(userId: string, sessionId: string): Promise<ChatSessionEntity | null> {
    const rows: ChatSessionEntity[] = await this.sessions.manager.query(
      `SELECT id, user_id AS "userId", title, provider, model, mode, active_message_id AS "activeMessageId",
              created_at AS "createdAt", updated_at AS "updatedAt"
         FROM chat_sessions WHERE id = $1 AND user_id = $2`,
      [sessionId, userId],
    );
    return rows[0] ?? null;
  }

  /** Newest first; fetches one extra row so the caller knows whether a next page exists. */
  listOwned(userId: string, limit: number, after?: SessionCursor): Promise<ChatSessionEntity[]> {
    const query = this.sessions
      .createQueryBuilder('s')
      .where('s.user_id = :userId', { userId })
      .orderBy('s.updated_at', 'DESC')
      .addOrderBy('s.id', 'DESC')
      .limit(limit + 1);
    if (after) {
      query.andWhere('(s.updated_at, s.id) < (:updatedAt, :id)', { updatedAt: after.updatedAt, id: after.id });
    }
    return query.getMany();
  }

  /**
   * A page of every session of the user in id order, after `afterId`: an order that the user's own chatting
   * (which moves updated_at) cannot shuffle while an export pages through it.
   */
  pageOwnedById(userId: string, limit: number, afterId?: string): Promise<ChatSessionEntity[]> {
    return this.sessions.manager.query(
      `SELECT id, user_id AS "userId", title, provider, model, mode, active_message_id AS "activeMessageId",
              created_at AS "createdAt", updated_at AS "updatedAt"
         FROM chat_sessions WHERE user_id = $1 AND ($3::uuid IS NULL OR id > $3) ORDER BY id LIMIT $2`,
      [userId, limit, afterId ?? null],
    );
  }

  async renameOwned(userId: string, sessionId: string, title: string): Promise<ChatSessionEntity | null> {
    const result = await this.sessions.update({ id: sessionId, userId }, { title });
    return (result.affected ?? 0) > 0 ? this.findOwned(userId, sessionId) : null;
  }

  /** Shows another branch: `leafId` must be a message of this session (the caller picked it from the session's messages). */
  async setActiveMessage(userId: string, sessionId: string, leafId: string): Promise<void> {
    await this.sessions.update({ id: sessionId, userId }, { activeMessageId: leafId });
  }

  async deleteOwned(userId: string, sessionId: string): Promise<boolean> {
    const result = await this.sessions.delete({ id: sessionId, userId });
    return (result.affected ?? 0) > 0;
  }
}
