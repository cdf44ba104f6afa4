import { Injectable } from '@nestjs/common';
import { AppError } from '@app/common';
import {
  ChatSessionsRepository,
  type BranchMessage,
  type ChatSessionEntity,
  type FeedbackRating,
  type MessageEntity,
  MessageFeedbackRepository,
  MessagesRepository,
  type MessageUsageRow,
  type SessionChanges,
  type SessionFilter,
  type SessionSummary,
  UsageRecordsRepository,
} from '@app/persistence';
import { GenerationsService } from '../generations/generations.service.js';
import { ConversationTree } from './conversation-tree.js';
import { decodeCursor, decodeSearchCursor, encodeCursor, encodeSearchCursor } from './session-cursor.js';
import { FilesService } from '../files/files.service.js';

export interface ListedMessage {
  message: MessageEntity;
  siblingIds: string[];
  /** The user's rating of this reply, if any. */
  feedback: { rating: FeedbackRating; comment: string | null } | null;
  /** What the reply used and cost, once it is settled. */
  usage: MessageUsageRow | null;
}

/** A session of a list or a search, with whether a reply is running in it and, for a search, what matched. */
export interface ListedSession {
  session: SessionSummary;
  isGenerating: boolean;
  match?: { messageId: string | null; snippet: string };
}

export interface SessionPage {
  sessions: ListedSession[];
  nextCursor: string | null;
}

export interface SessionListQuery extends SessionFilter {
  limit: number;
  cursor?: string;
  /** Full-text search: ranked hits instead of the list. */
  q?: string;
}

@Injectable()
export class SessionsService {
  constructor(
    private readonly sessions: ChatSessionsRepository,
    private readonly messages: MessagesRepository,
    private readonly generations: GenerationsService,
    private readonly feedback: MessageFeedbackRepository,
    private readonly usage: UsageRecordsRepository,
    private readonly files: FilesService,
  ) {}

  /** Pinned first, then newest (unarchived unless asked); or, with `q`, the sessions that match it, best first. */
  async list(userId: string, query: SessionListQuery): Promise<SessionPage> {
    const { limit, cursor, q, archived, pinned, folderId } = query;
    const filter: SessionFilter = { archived, pinned, folderId };
    if (q !== undefined) {
      const hits = await this.sessions.searchOwned(userId, q, filter, limit, cursor ? decodeSearchCursor(cursor) : undefined);
      const page = hits.slice(0, limit);
      const last = page.at(-1);
      const listed = await this.withGenerating(page);
      return {
        sessions: listed.map((entry, index) => ({ ...entry, match: { messageId: page[index]!.matchedMessageId, snippet: page[index]!.snippet } })),
        nextCursor: hits.length > limit && last ? encodeSearchCursor({ rank: last.rank, id: last.id }) : null,
      };
    }
    const rows = await this.sessions.listOwned(userId, { ...filter, archived: archived ?? false }, limit, cursor ? decodeCursor(cursor) : undefined);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      sessions: await this.withGenerating(page),
      nextCursor: rows.length > limit && last ? encodeCursor({ pinned: last.pinned, updatedAt: last.sortedAt, id: last.id }) : null,
    };
  }

  /**
   * Asks the generation store about the whole page at once. While it cannot answer (Redis down), a reply still
   * `streaming` in the database says so instead: right but for replies of a crashed replica, until they are swept.
   */
  private async withGenerating(sessions: SessionSummary[]): Promise<ListedSession[]> {
    const generating = await this.generations.generatingAmong(sessions.map((session) => session.id));
    return sessions.map((session) => ({ session, isGenerating: generating ? generating.has(session.id) : session.replyStreaming }));
  }

  /**
   * The user's session (404 otherwise). A client may use a new session's id as soon as the stream's first event
   * names it, though its rows are written only once the upstream request has left: a turn still being written in
   * that session, by this replica or another, is waited for (GenerationsService.readRecorded). Renaming, organising
   * and deleting read it first too, for that wait, though their statements check the owner themselves: retrying such a
   * statement while the turn is written would race with it (a delete could miss the files the turn attaches).
   */
  async get(userId: string, sessionId: string): Promise<ChatSessionEntity> {
    const session = await this.generations.readRecorded(userId, sessionId, () => this.sessions.findOwned(userId, sessionId));
    if (!session) throw new AppError('SESSION_NOT_FOUND', 'Session not found');
    return session;
  }

  /** As `get`, with the newest `limit` messages of the branch it shows, newest first, in one read: for a turn that continues it. */
  async getWithBranch(userId: string, sessionId: string, limit: number): Promise<{ session: ChatSessionEntity; branch: BranchMessage[] }> {
    const found = await this.generations.readRecorded(userId, sessionId, () => this.sessions.findOwnedWithBranch(userId, sessionId, limit));
    if (!found) throw new AppError('SESSION_NOT_FOUND', 'Session not found');
    return found;
  }

  /** The branch shown (`branch`) or every message (`all`), oldest first, each with the versions of its turn. */
  async messagesOf(userId: string, sessionId: string, view: 'branch' | 'all'): Promise<ListedMessage[]> {
    const session = await this.get(userId, sessionId);
    const [messages, ratings, usages] = await Promise.all([
      this.messages.listOwned(userId, sessionId),
      this.feedback.listOwnedForSession(userId, sessionId),
      this.usage.listOwnedForSession(userId, sessionId),
    ]);
    const tree = new ConversationTree(messages);
    const feedback = new Map(ratings.map(({ messageId, rating, comment }) => [messageId, { rating, comment }]));
    const usage = new Map(usages.map((row) => [row.messageId, row]));
    const listed = view === 'all' ? tree.messages : tree.branchTo(session.activeMessageId);
    return listed.map((message) => ({ message, siblingIds: tree.versionsOf(message), feedback: feedback.get(message.id) ?? null, usage: usage.get(message.id) ?? null }));
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
    await this.get(userId, sessionId);
    const session = await this.sessions.renameOwned(userId, sessionId, title.trim());
    if (!session) throw new AppError('SESSION_NOT_FOUND', 'Session not found');
    return session;
  }

  async organise(userId: string, sessionId: string, changes: SessionChanges): Promise<ChatSessionEntity> {
    // A session's model belongs to its provider: changing one alone would pair a model with a provider that lacks it.
    if (changes.provider !== undefined && changes.model === undefined) throw new AppError('VALIDATION_FAILED', 'model is required with provider');
    await this.get(userId, sessionId);
    const session = await this.sessions.organiseOwned(userId, sessionId, changes);
    if (session === 'folderMissing') throw new AppError('FOLDER_NOT_FOUND', 'Folder not found');
    if (!session) throw new AppError('SESSION_NOT_FOUND', 'Session not found');
    return session;
  }

  async remove(userId: string, sessionId: string): Promise<void> {
    await this.get(userId, sessionId);
    if (!(await this.files.withSessionDeletion(userId, sessionId, () => this.sessions.deleteOwned(userId, sessionId)))) throw new AppError('SESSION_NOT_FOUND', 'Session not found');
  }
}
