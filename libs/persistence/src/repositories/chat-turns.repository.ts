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
 * Writes the start of a chat turn in one transaction: the session (created, or moved to the top with the turn's
 * provider and model), the user's message, and the reply as `streaming`. Ids come from the caller, so the chat
 * stream can announce them and start the upstream call while these writes are in flight.
 */
@Injectable()
export class ChatTurnsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async beginTurn(turn: NewTurn): Promise<void> {
    await this.dataSource.transaction(async (db) => {
      if (turn.newSession) {
        await db.query(
          `INSERT INTO chat_sessions (id, user_id, title, provider, model, mode) VALUES ($1, $2, $3, $4, $5, $6)`,
          [turn.sessionId, turn.userId, turn.newSession.title, turn.provider, turn.model, turn.newSession.mode],
        );
      } else {
        const [, updated] = (await db.query(
          `UPDATE chat_sessions SET provider = $3, model = $4, updated_at = now() WHERE id = $1 AND user_id = $2`,
          [turn.sessionId, turn.userId, turn.provider, turn.model],
        )) as [unknown, number];
        if (updated !== 1) throw new Error('The session disappeared while the turn was starting');
      }
      // Two statements, so each row gets its own clock_timestamp() and the reply sorts after the question.
      await db.query(`INSERT INTO messages (id, session_id, role, content, status) VALUES ($1, $2, 'user', $3, 'complete')`, [
        turn.userMessageId,
        turn.sessionId,
        turn.content,
      ]);
      await db.query(
        `INSERT INTO messages (id, session_id, role, content, status, provider, model) VALUES ($1, $2, 'assistant', '', 'streaming', $3, $4)`,
        [turn.replyId, turn.sessionId, turn.provider, turn.model],
      );
    });
  }
}
