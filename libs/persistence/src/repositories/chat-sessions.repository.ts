import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { ChatSessionEntity } from '../entities/chat-session.entity.js';
import type { KeysetPosition } from './keyset-position.js';

/**
 * The retention job's advisory lock: held by one replica at a time, on the connection that runs the job, and
 * released with it should that replica die. Any constant works; this one is the job's alone.
 */
export const RETENTION_LOCK_KEY = 4_815_162_342;

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
  listOwned(userId: string, limit: number, after?: KeysetPosition): Promise<ChatSessionEntity[]> {
    const query = this.sessions
      .createQueryBuilder('s')
      .where('s.user_id = :userId', { userId })
      .orderBy('s.updated_at', 'DESC')
      .addOrderBy('s.id', 'DESC')
      .limit(limit + 1);
    if (after) {
      query.andWhere('(s.updated_at, s.id) < (:updatedAt, :id)', { updatedAt: after.at, id: after.id });
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

  /**
   * Deletes every session untouched since `before`, with its messages (the foreign keys cascade), `batchSize`
   * at a time so that no statement holds its row locks for long, and reports each batch's count as it goes. The
   * one query without an owner: retention is the operator's rule, for every user alike. Runs on one replica at a
   * time: null, deleting nothing, while another one holds the job's advisory lock.
   */
  async deleteUntouchedSince(before: Date, batchSize: number, onBatch: (deleted: number) => void): Promise<number | null> {
    // The lock belongs to a connection: take it, run the batches and let it go on the same one.
    const runner = this.sessions.manager.connection.createQueryRunner();
    try {
      const [{ locked }] = (await runner.query('SELECT pg_try_advisory_lock($1) AS locked', [RETENTION_LOCK_KEY])) as [{ locked: boolean }];
      if (!locked) return null;
      try {
        let total = 0;
        for (;;) {
          const result = await runner.query(
            `DELETE FROM chat_sessions WHERE id IN
               (SELECT id FROM chat_sessions WHERE updated_at < $1 ORDER BY updated_at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
            [before, batchSize],
            true,
          );
          const count = result.affected ?? 0;
          total += count;
          if (count > 0) onBatch(count);
          if (count < batchSize) return total;
        }
      } finally {
        await runner.query('SELECT pg_advisory_unlock($1)', [RETENTION_LOCK_KEY]);
      }
    } finally {
      await runner.release();
    }
  }

  async deleteOwned(userId: string, sessionId: string): Promise<boolean> {
    const result = await this.sessions.delete({ id: sessionId, userId });
    return (result.affected ?? 0) > 0;
  }
}
