import { Injectable } from '@nestjs/common';
import { AppError } from '@app/common';
import { ChatSessionsRepository, type ChatSessionEntity, type MessageEntity, MessagesRepository } from '@app/persistence';
import { decodeCursor, encodeCursor } from './session-cursor.js';

export interface SessionPage {
  sessions: ChatSessionEntity[];
  nextCursor: string | null;
}

@Injectable()
export class SessionsService {
  constructor(
    private readonly sessions: ChatSessionsRepository,
    private readonly messages: MessagesRepository,
  ) {}

  async list(userId: string, limit: number, cursor?: string): Promise<SessionPage> {
    const rows = await this.sessions.listOwned(userId, limit, cursor ? decodeCursor(cursor) : undefined);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return { sessions: page, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
  }

  async get(userId: string, sessionId: string): Promise<ChatSessionEntity> {
    const session = await this.sessions.findOwned(userId, sessionId);
    if (!session) throw new AppError('SESSION_NOT_FOUND', 'Session not found');
    return session;
  }

  async messagesOf(userId: string, sessionId: string): Promise<MessageEntity[]> {
    await this.get(userId, sessionId);
    return this.messages.listOwned(userId, sessionId);
  }

  async rename(userId: string, sessionId: string, title: string): Promise<ChatSessionEntity> {
    const session = await this.sessions.renameOwned(userId, sessionId, title.trim());
    if (!session) throw new AppError('SESSION_NOT_FOUND', 'Session not found');
    return session;
  }

  async remove(userId: string, sessionId: string): Promise<void> {
    if (!(await this.sessions.deleteOwned(userId, sessionId))) throw new AppError('SESSION_NOT_FOUND', 'Session not found');
  }
}
