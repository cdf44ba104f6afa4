import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { MessageEntity, type MessageStatus } from '../entities/message.entity.js';

export interface FinishedReply {
  content: string;
  status: Exclude<MessageStatus, 'streaming'>;
  errorCode?: string | null;
  error?: string | null;
  responseTimeMs: number;
  promptTokens?: number | null;
  completionTokens?: number | null;
}

/**
 * Messages are reached through their session, so every read joins the session and checks its owner. Turns are
 * written by ChatTurnsRepository; replies are finished here by their id, which only the running generation knows.
 */
@Injectable()
export class MessagesRepository {
  constructor(@InjectRepository(MessageEntity) private readonly messages: Repository<MessageEntity>) {}

  /**
   * Only a reply still streaming is finalised, so a late second finish (abort racing completion) is a no-op.
   * Plain SQL: this runs once per reply, on the way to the `done` event.
   */
  async finishReply(messageId: string, reply: FinishedReply): Promise<boolean> {
    const [, updated] = (await this.messages.manager.query(
      `UPDATE messages SET content = $2, status = $3, error_code = $4, error = $5, response_time_ms = $6, prompt_tokens = $7, completion_tokens = $8
        WHERE id = $1 AND status = 'streaming'`,
      [messageId, reply.content, reply.status, reply.errorCode ?? null, reply.error ?? null, reply.responseTimeMs, reply.promptTokens ?? null, reply.completionTokens ?? null],
    )) as [unknown, number];
    return updated > 0;
  }

  listOwned(userId: string, sessionId: string): Promise<MessageEntity[]> {
    return this.messages
      .createQueryBuilder('m')
      .innerJoin('m.session', 's', 's.user_id = :userId', { userId })
      .where('m.session_id = :sessionId', { sessionId })
      .orderBy('m.created_at', 'ASC')
      .getMany();
  }

  /** Role and content of the latest `limit` finished messages, newest first: the raw material of a prompt. */
  latestTurnsOwned(userId: string, sessionId: string, limit: number): Promise<Pick<MessageEntity, 'role' | 'content'>[]> {
    return this.messages.manager.query(
      `SELECT m.role, m.content FROM messages m JOIN chat_sessions s ON s.id = m.session_id AND s.user_id = $1
        WHERE m.session_id = $2 AND m.status <> 'streaming' ORDER BY m.created_at DESC LIMIT $3`,
      [userId, sessionId, limit],
    );
  }

  /**
   * A reply still `streaming` after the longest a generation may run has lost its generation (crash, kill,
   * lost connection). The age bound keeps this safe while other replicas are generating.
   */
  async abortStaleReplies(startedBefore: Date): Promise<number> {
    const [, updated] = (await this.messages.manager.query(
      `UPDATE messages SET status = 'aborted', error_code = 'interrupted', error = 'The server stopped while this reply was being generated'
        WHERE status = 'streaming' AND created_at < $1`,
      [startedBefore],
    )) as [unknown, number];
    return updated;
  }
}
