import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';

export interface NewTurn {
  userId: string;
  sessionId: string;
  /** Present when the turn opens a new session. */
  newSession?: { title: string; mode: string };
  provider: string;
  model: string;
  userMessageId: string;
  content: string;
  replyId: string;
}

/**
 * Writes the start of a chat turn at once: the session (created, or moved to the top with the turn's
 * provider and model), the user's message, and the reply as `streaming`. Ids come from the caller, so the chat
 * stream can announce them and start the upstream call while these writes are in flight.
 */
@Injectable()
export class ChatTurnsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * One statement, so one round trip and atomic without an explicit transaction. The reply is stamped one
   * microsecond after the question, so the two always sort in order.
   */
  async beginTurn(turn: NewTurn): Promise<void> {
    const session = turn.newSession
      ? `INSERT INTO chat_sessions (id, user_id, title, provider, model, mode) VALUES ($1, $2, $8, $3, $4, $9) RETURNING id`
      : `UPDATE chat_sessions SET provider = $3, model = $4, updated_at = now() WHERE id = $1 AND user_id = $2 RETURNING id`;
    const rows: unknown[] = await this.dataSource.query(
      `WITH at AS (SELECT clock_timestamp() AS t),
            s AS (${session}),
            question AS (
              INSERT INTO messages (id, session_id, role, content, status, created_at)
              SELECT $5, s.id, 'user', $6, 'complete', at.t FROM s, at RETURNING id)
       INSERT INTO messages (id, session_id, role, content, status, provider, model, created_at)
       SELECT $7, s.id, 'assistant', '', 'streaming', $3, $4, at.t + interval '1 microsecond' FROM s, at RETURNING id`,
      [
        ...[turn.sessionId, turn.userId, turn.provider, turn.model, turn.userMessageId, turn.content, turn.replyId],
        ...(turn.newSession ? [turn.newSession.title, turn.newSession.mode] : []),
      ],
    );
    if (rows.length !== 1) throw new Error('The session disappeared while the turn was starting');
  }
}
