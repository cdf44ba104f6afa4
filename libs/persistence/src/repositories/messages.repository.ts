import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { MessageEntity, type MessageRole, type MessageStatus } from '../entities/message.entity.js';

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
 * Messages are reached through their session, so every read joins the session and checks its owner; writes
 * are only issued by the chat flow after the session was found for that owner.
 */
@Injectable()
export class MessagesRepository {
  constructor(@InjectRepository(MessageEntity) private readonly messages: Repository<MessageEntity>) {}

  append(sessionId: string, role: MessageRole, content: string, extra: Partial<MessageEntity> = {}): Promise<MessageEntity> {
    return this.messages.save(this.messages.create({ sessionId, role, content, status: 'complete', ...extra }));
  }

  startReply(sessionId: string, provider: string, model: string): Promise<MessageEntity> {
    return this.append(sessionId, 'assistant', '', { status: 'streaming', provider, model });
  }

  /** Only a reply still streaming is finalised, so a late second finish (abort racing completion) is a no-op. */
  async finishReply(messageId: string, reply: FinishedReply): Promise<boolean> {
    const result = await this.messages.update({ id: messageId, status: 'streaming' }, reply);
    return (result.affected ?? 0) > 0;
  }

  listOwned(userId: string, sessionId: string): Promise<MessageEntity[]> {
    return this.messages
      .createQueryBuilder('m')
      .innerJoin('m.session', 's', 's.user_id = :userId', { userId })
      .where('m.session_id = :sessionId', { sessionId })
      .orderBy('m.created_at', 'ASC')
      .getMany();
  }

  /** The latest `limit` messages of the session, newest first (the caller trims to its budget and reverses). */
  latestOwned(userId: string, sessionId: string, limit: number): Promise<MessageEntity[]> {
    return this.messages
      .createQueryBuilder('m')
      .innerJoin('m.session', 's', 's.user_id = :userId', { userId })
      .where('m.session_id = :sessionId', { sessionId })
      .andWhere(`m.status <> 'streaming'`)
      .orderBy('m.created_at', 'DESC')
      .limit(limit)
      .getMany();
  }

  /** Start-up sweep: a reply left `streaming` by a crash or kill has no generation any more. */
  async abortOrphanedReplies(): Promise<number> {
    const result = await this.messages.update(
      { status: 'streaming' },
      { status: 'aborted', errorCode: 'interrupted', error: 'The server stopped while this reply was being generated' },
    );
    return result.affected ?? 0;
  }
}
