import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { ChatSessionEntity } from '../entities/chat-session.entity.js';

export interface NewSession {
  title: string;
  provider: string;
  model: string;
  mode: string;
}

/** Keyset cursor: the last row of the previous page. */
export interface SessionCursor {
  updatedAt: Date;
  id: string;
}

@Injectable()
export class ChatSessionsRepository {
  constructor(@InjectRepository(ChatSessionEntity) private readonly sessions: Repository<ChatSessionEntity>) {}

  createOwned(userId: string, session: NewSession): Promise<ChatSessionEntity> {
    return this.sessions.save(this.sessions.create({ userId, ...session }));
  }

  findOwned(userId: string, sessionId: string): Promise<ChatSessionEntity | null> {
    return this.sessions.findOneBy({ id: sessionId, userId });
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

  async renameOwned(userId: string, sessionId: string, title: string): Promise<ChatSessionEntity | null> {
    const result = await this.sessions.update({ id: sessionId, userId }, { title });
    return (result.affected ?? 0) > 0 ? this.findOwned(userId, sessionId) : null;
  }

  /** Provider and model follow the latest turn, and the session moves to the top of the list. */
  async recordTurn(userId: string, sessionId: string, provider: string, model: string): Promise<void> {
    await this.sessions.update({ id: sessionId, userId }, { provider, model });
  }

  async deleteOwned(userId: string, sessionId: string): Promise<boolean> {
    const result = await this.sessions.delete({ id: sessionId, userId });
    return (result.affected ?? 0) > 0;
  }
}
