import { Injectable } from '@nestjs/common';
import { AppError } from '@app/common';
import { ChatSessionsRepository, type ChatSessionEntity, type MessageEntity, MessagesRepository } from '@app/persistence';
import { ConversationTree } from './conversation-tree.js';
import { decodeCursor, encodeCursor } from '../http/keyset-cursor.js';

export interface ListedMessage {
  message: MessageEntity;
  siblingIds: string[];
}

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
    return { sessions: page, nextCursor: rows.length > limit && last ? encodeCursor({ at: last.updatedAt, id: last.id }) : null };
  }

  async get(userId: string, sessionId: string): Promise<ChatSessionEntity> {
    const session = await this.sessions.findOwned(userId, sessionId);
    if (!session) throw new AppError('SESSION_NOT_FOUND', 'Session not found');
    return session;
  }

  /** The branch shown (`branch`) or every message (`all`), oldest first, each with the versions of its turn. */
  async messagesOf(userId: string, sessionId: string, view: 'branch' | 'all'): Promise<ListedMessage[]> {
    const session = await this.get(userId, sessionId);
    const tree = new ConversationTree(await this.messages.listOwned(userId, sessionId));
    const listed = view === 'all' ? tree.messages : tree.branchTo(session.activeMessageId);
    return listed.map((message) => ({ message, siblingIds: tree.versionsOf(message) }));
  }

  /** Shows the branch through `messageId`, continued with its newest replies; returns that branch. */
  async selectBranch(userId: string, sessionId: string, messageId: string): Promise<ListedMessage[]> {
    await this.get(userId, sessionId);
    const tree = new ConversationTree(await this.messages.listOwned(userId, sessionId));
    if (!tree.has(messageId)) throw new AppError('MESSAGE_NOT_FOUND', 'Message not found');
    await this.sessions.setActiveMessage(userId, sessionId, tree.newestLeafFrom(messageId));
    return this.messagesOf(userId, sessionId, 'branch');
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
