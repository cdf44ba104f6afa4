import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { ChatSessionEntity } from '../entities/chat-session.entity.js';
import type { MessagePart, MessageRole } from '../entities/message.entity.js';

/** A session to write, with ids already chosen and its messages parents first. */
export interface SessionToImport {
  id: string;
  title: string;
  provider: string;
  model: string;
  archived: boolean;
  pinned: boolean;
  tags: string[];
  createdAt: Date;
  updatedAt: Date;
  activeMessageId: string | null;
  messages: {
    id: string;
    parentId: string | null;
    role: MessageRole;
    content: string;
    /** Null: the message is its content alone. */
    parts: MessagePart[] | null;
    model: string | null;
    provider: string | null;
    createdAt: Date;
  }[];
}

const SESSION_COLUMNS = `id, user_id AS "userId", title, provider, model, mode, active_message_id AS "activeMessageId",
  archived, pinned, folder_id AS "folderId", tags, created_at AS "createdAt", updated_at AS "updatedAt"`;

/** Whole conversations in and out: imports in one transaction, exports a page of sessions at a time. */
@Injectable()
export class ConversationTransferRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Writes every session and message in one transaction, one statement per table (arrays unnested), so an
   * import is all or nothing and costs a few round trips whatever its size.
   */
  async importOwned(userId: string, sessions: SessionToImport[]): Promise<void> {
    const messages = sessions.flatMap((session) => session.messages.map((message) => ({ ...message, sessionId: session.id })));
    await this.dataSource.transaction(async (manager) => {
      await manager.query(
        `INSERT INTO chat_sessions (id, user_id, title, provider, model, archived, pinned, tags, created_at, updated_at)
         SELECT s.id, $1, s.title, s.provider, s.model, s.archived, s.pinned, ARRAY(SELECT jsonb_array_elements_text(s.tags))::varchar[], s.created_at, s.updated_at
           FROM unnest($2::uuid[], $3::varchar[], $4::varchar[], $5::varchar[], $6::boolean[], $7::boolean[], $8::jsonb[], $9::timestamptz[], $10::timestamptz[])
             AS s(id, title, provider, model, archived, pinned, tags, created_at, updated_at)`,
        [
          userId,
          sessions.map((session) => session.id),
          sessions.map((session) => session.title),
          sessions.map((session) => session.provider),
          sessions.map((session) => session.model),
          sessions.map((session) => session.archived),
          sessions.map((session) => session.pinned),
          sessions.map((session) => JSON.stringify(session.tags)),
          sessions.map((session) => session.createdAt),
          sessions.map((session) => session.updatedAt),
        ],
      );
      if (messages.length > 0) {
        await manager.query(
          `INSERT INTO messages (id, session_id, parent_id, role, content, status, provider, model, created_at, parts)
           SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::varchar[], $5::text[], $6::varchar[], $7::varchar[], $8::varchar[], $9::timestamptz[], $10::jsonb[])`,
          [
            messages.map((message) => message.id),
            messages.map((message) => message.sessionId),
            messages.map((message) => message.parentId),
            messages.map((message) => message.role),
            messages.map((message) => message.content),
            messages.map(() => 'complete'),
            messages.map((message) => message.provider),
            messages.map((message) => message.model),
            messages.map((message) => message.createdAt),
            messages.map((message) => (message.parts ? JSON.stringify(message.parts) : null)),
          ],
        );
      }
      // The branch shown is set once its messages exist.
      await manager.query(
        `UPDATE chat_sessions s SET active_message_id = a.active FROM unnest($2::uuid[], $3::uuid[]) AS a(id, active) WHERE s.id = a.id AND s.user_id = $1`,
        [userId, sessions.map((session) => session.id), sessions.map((session) => session.activeMessageId)],
      );
    });
  }

  /** A page of the user's sessions in id order, after `afterId`: an export walks them all without holding them all. */
  listPageOwned(userId: string, limit: number, afterId?: string): Promise<ChatSessionEntity[]> {
    return this.dataSource.query(
      `SELECT ${SESSION_COLUMNS} FROM chat_sessions WHERE user_id = $1 AND ($2::uuid IS NULL OR id > $2::uuid) ORDER BY id LIMIT $3`,
      [userId, afterId ?? null, limit],
    );
  }
}
