import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { type FeedbackRating, MessageFeedbackEntity } from '../entities/message-feedback.entity.js';
import type { MessageRole, MessageStatus } from '../entities/message.entity.js';

/** What rating a message found: the message (null when the user has no such message) and the feedback, if saved. */
export interface RatingOutcome {
  message: { role: MessageRole; status: MessageStatus } | null;
  feedback: MessageFeedbackEntity | null;
}

/** Feedback on the replies of one provider's model. */
export interface ModelFeedback {
  provider: string;
  model: string;
  up: number;
  down: number;
  /** With a comment. */
  commented: number;
  lastAt: Date;
}

/** Keyset cursor of the per-model aggregate: the last row of the previous page. */
export interface ModelFeedbackCursor {
  provider: string;
  model: string;
}

@Injectable()
export class MessageFeedbackRepository {
  constructor(@InjectRepository(MessageFeedbackEntity) private readonly feedback: Repository<MessageFeedbackEntity>) {}

  /**
   * Saves (or replaces) the user's rating of a finished assistant reply of their session, in one statement: the
   * message is looked up with its owner, and nothing is written for another user's message, a question, or a
   * reply still streaming.
   */
  async rateOwned(userId: string, sessionId: string, messageId: string, rating: FeedbackRating, comment: string | null): Promise<RatingOutcome> {
    const rows: { role: MessageRole; status: MessageStatus; feedback: MessageFeedbackEntity | null }[] = await this.feedback.manager.query(
      `WITH target AS (
         SELECT m.id, m.role, m.status FROM messages m JOIN chat_sessions s ON s.id = m.session_id
          WHERE m.id = $3 AND m.session_id = $2 AND s.user_id = $1),
       saved AS (
         INSERT INTO message_feedback (message_id, user_id, rating, comment)
         SELECT id, $1, $4, $5 FROM target WHERE role = 'assistant' AND status <> 'streaming'
         ON CONFLICT (message_id) DO UPDATE SET rating = EXCLUDED.rating, comment = EXCLUDED.comment, updated_at = now()
         RETURNING message_id AS "messageId", user_id AS "userId", rating, comment, created_at AS "createdAt", updated_at AS "updatedAt")
       SELECT target.role, target.status, (SELECT row_to_json(saved) FROM saved) AS feedback FROM target`,
      [userId, sessionId, messageId, rating, comment],
    );
    const [row] = rows;
    if (!row) return { message: null, feedback: null };
    const feedback = row.feedback && { ...row.feedback, createdAt: new Date(row.feedback.createdAt), updatedAt: new Date(row.feedback.updatedAt) };
    return { message: { role: row.role, status: row.status }, feedback };
  }

  /** The user's ratings of the replies of their session, for showing them with the messages. */
  listOwnedForSession(userId: string, sessionId: string): Promise<Pick<MessageFeedbackEntity, 'messageId' | 'rating' | 'comment'>[]> {
    return this.feedback.manager.query(
      `SELECT f.message_id AS "messageId", f.rating, f.comment
         FROM message_feedback f JOIN messages m ON m.id = f.message_id JOIN chat_sessions s ON s.id = m.session_id
        WHERE m.session_id = $2 AND s.user_id = $1 AND f.user_id = $1`,
      [userId, sessionId],
    );
  }

  /**
   * Every user's feedback counted per provider and model, ordered by them; fetches one extra row so the caller
   * knows whether a next page exists. For administrators only: the caller checks the role.
   */
  aggregateByModel(limit: number, after?: ModelFeedbackCursor): Promise<ModelFeedback[]> {
    const params: unknown[] = [];
    const keyset = after ? `HAVING (COALESCE(m.provider, ''), COALESCE(m.model, '')) > ($${params.push(after.provider)}, $${params.push(after.model)})` : '';
    return this.feedback.manager.query(
      `SELECT COALESCE(m.provider, '') AS provider, COALESCE(m.model, '') AS model,
              count(*) FILTER (WHERE f.rating = 'up')::int AS up, count(*) FILTER (WHERE f.rating = 'down')::int AS down,
              count(f.comment)::int AS commented, max(f.updated_at) AS "lastAt"
         FROM message_feedback f JOIN messages m ON m.id = f.message_id
        GROUP BY COALESCE(m.provider, ''), COALESCE(m.model, '') ${keyset}
        ORDER BY 1, 2 LIMIT $${params.push(limit + 1)}`,
      params,
    );
  }
}
