import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { MessageEntity, type MessagePart, type MessageStatus, type ReplyAttempt } from '../entities/message.entity.js';
import { insertUsageRecords, type NewUsageRecord } from './usage-records.repository.js';

export type BranchMessage = Pick<MessageEntity, 'id' | 'parentId' | 'role' | 'content' | 'parts' | 'status' | 'tools'>;

/**
 * The recursive query `branch`: the messages from `leaf` (an SQL expression over the session row `s`, a query the
 * caller defines) up its parent links, each with its `depth` (1 for the leaf), at most `limit` (SQL) deep.
 */
export function branchFrom(leaf: string, limit: string): string {
  return `branch AS (
    SELECT m.id, m.parent_id, m.role, m.content, m.parts, m.status, m.tools, 1 AS depth
      FROM s JOIN messages m ON m.id = ${leaf} AND m.session_id = s.id
    UNION ALL
    SELECT p.id, p.parent_id, p.role, p.content, p.parts, p.status, p.tools, branch.depth + 1
      FROM branch JOIN messages p ON p.id = branch.parent_id
     WHERE branch.depth < ${limit})`;
}

/** `branch` (branchFrom) as one JSON array of BranchMessage, newest first. */
export const BRANCH_AS_JSON = `COALESCE((SELECT json_agg(json_build_object('id', b.id, 'parentId', b.parent_id, 'role', b.role, 'content', b.content,
  'parts', b.parts, 'status', b.status, 'tools', b.tools) ORDER BY b.depth) FROM branch b), '[]')`;

export interface FinishedReply {
  content: string;
  /** Null when the reply is its text alone (see MessageEntity.parts). */
  parts?: MessagePart[] | null;
  status: Exclude<MessageStatus, 'streaming'>;
  errorCode?: string | null;
  error?: string | null;
  responseTimeMs: number;
  promptTokens?: number | null;
  completionTokens?: number | null;
  /** The provider and model that answered, when a route chose one other than the turn's (an alias, a fallback). */
  provider?: string;
  model?: string;
  attempts?: ReplyAttempt[];
}

/**
 * Messages are reached through their session, so every read joins the session and checks its owner. Turns are
 * written by ChatTurnsRepository; replies are finished here by their id, which only the running generation knows.
 */
@Injectable()
export class MessagesRepository {
  constructor(@InjectRepository(MessageEntity) private readonly messages: Repository<MessageEntity>) {}

  /**
   * Finishes a reply's row, if it is still `streaming`, so a late second finish (abort racing completion) changes
   * nothing; true when it was finished here. With `usage`, its usage record is written in the same statement (one
   * round trip, and the two are retried together): whether or not the row was still `streaming` or is still there
   * (its session may have been deleted meanwhile), and at most once per message. Plain SQL: this runs once per
   * reply, on the way to the `done` event.
   */
  async finishReply(messageId: string, reply: FinishedReply, usage?: NewUsageRecord): Promise<boolean> {
    const params: unknown[] = [
      messageId,
      reply.content,
      reply.status,
      reply.errorCode ?? null,
      reply.error ?? null,
      reply.responseTimeMs,
      reply.promptTokens ?? null,
      reply.completionTokens ?? null,
      reply.provider ?? null,
      reply.model ?? null,
      reply.attempts ? JSON.stringify(reply.attempts) : null,
      reply.parts ? JSON.stringify(reply.parts) : null,
    ];
    const update = `UPDATE messages SET content = $2, status = $3, error_code = $4, error = $5, response_time_ms = $6, prompt_tokens = $7, completion_tokens = $8,
              provider = COALESCE($9, provider), model = COALESCE($10, model), attempts = $11, parts = $12::jsonb
        WHERE id = $1 AND status = 'streaming'`;
    if (!usage) {
      const [, updated] = (await this.messages.manager.query(update, params)) as [unknown, number];
      return updated > 0;
    }
    const rows: { finished: number }[] = await this.messages.manager.query(
      `WITH reply AS (${update} RETURNING id), usage AS (${insertUsageRecords([usage], params)}) SELECT count(*)::int AS finished FROM reply`,
      params,
    );
    return rows[0].finished > 0;
  }

  listOwned(userId: string, sessionId: string): Promise<MessageEntity[]> {
    return this.messages
      .createQueryBuilder('m')
      .innerJoin('m.session', 's', 's.user_id = :userId', { userId })
      .where('m.session_id = :sessionId', { sessionId })
      .orderBy('m.created_at', 'ASC')
      .getMany();
  }

  /**
   * A page of every message of the session (all versions), oldest first, after the message `afterId`. The cursor
   * is compared in SQL, so timestamps keep their microseconds.
   */
  pageOwned(userId: string, sessionId: string, limit: number, afterId?: string): Promise<MessageEntity[]> {
    return this.messages.manager.query(
      `SELECT m.id, m.session_id AS "sessionId", m.parent_id AS "parentId", m.role, m.content, m.parts, m.status, m.error_code AS "errorCode",
              m.error, m.provider, m.model, m.response_time_ms AS "responseTimeMs", m.prompt_tokens AS "promptTokens",
              m.completion_tokens AS "completionTokens", m.attempts, m.created_at AS "createdAt"
         FROM messages m JOIN chat_sessions s ON s.id = m.session_id AND s.user_id = $1
        WHERE m.session_id = $2
          AND ($4::uuid IS NULL OR (m.created_at, m.id) > (SELECT created_at, id FROM messages WHERE id = $4 AND session_id = $2))
        ORDER BY m.created_at, m.id LIMIT $3`,
      [userId, sessionId, limit, afterId ?? null],
    );
  }

  /**
   * The branch that ends at `leafId` (by default the session's active message), newest first, at most `limit`
   * messages: the raw material of a prompt. Walks parent links, so other branches never leak into it.
   */
  branchOwned(userId: string, sessionId: string, limit: number, leafId?: string | null): Promise<BranchMessage[]> {
    return this.messages.manager.query(
      `WITH RECURSIVE s AS (SELECT id, active_message_id AS "activeMessageId" FROM chat_sessions WHERE id = $2 AND user_id = $1),
         ${branchFrom('COALESCE($3::uuid, s."activeMessageId")', '$4')}
       SELECT id, parent_id AS "parentId", role, content, parts, status, tools FROM branch ORDER BY depth`,
      [userId, sessionId, leafId ?? null, limit],
    );
  }

  /**
   * The question a chain of tool calls and results began with: the nearest user message at or above `fromId`, or
   * none. Walks parent links reading only ids and roles, so a chain of any length returns one row.
   */
  async chainQuestionOwned(userId: string, sessionId: string, fromId: string): Promise<BranchMessage | undefined> {
    const rows: BranchMessage[] = await this.messages.manager.query(
      `WITH RECURSIVE chain AS (
         SELECT m.id, m.parent_id, m.role
           FROM chat_sessions s JOIN messages m ON m.id = $3::uuid AND m.session_id = s.id
          WHERE s.id = $2 AND s.user_id = $1
         UNION ALL
         SELECT p.id, p.parent_id, p.role
           FROM chain JOIN messages p ON p.id = chain.parent_id
          WHERE chain.role <> 'user')
       SELECT m.id, m.parent_id AS "parentId", m.role, m.content, m.parts, m.status, m.tools
         FROM chain JOIN messages m ON m.id = chain.id
        WHERE chain.role = 'user' LIMIT 1`,
      [userId, sessionId, fromId],
    );
    return rows[0];
  }

  /** The newest reply to a message (its latest version), for the tools it was offered. */
  async newestReplyOwned(userId: string, sessionId: string, messageId: string): Promise<Pick<MessageEntity, 'id' | 'tools'> | undefined> {
    const rows: Pick<MessageEntity, 'id' | 'tools'>[] = await this.messages.manager.query(
      `SELECT m.id, m.tools FROM messages m JOIN chat_sessions s ON s.id = m.session_id AND s.user_id = $1
        WHERE m.session_id = $2 AND m.parent_id = $3 AND m.role = 'assistant'
        ORDER BY m.created_at DESC, m.id DESC LIMIT 1`,
      [userId, sessionId, messageId],
    );
    return rows[0];
  }

  findOwned(userId: string, sessionId: string, messageId: string): Promise<MessageEntity | null> {
    return this.messages
      .createQueryBuilder('m')
      .innerJoin('m.session', 's', 's.user_id = :userId', { userId })
      .where('m.session_id = :sessionId AND m.id = :messageId', { sessionId, messageId })
      .getOne();
  }

  /**
   * A reply still `streaming` after the longest a generation may run has lost its generation (crash, kill,
   * lost connection). The age bound keeps this safe while other replicas are generating.
   */
  async abortStaleReplies(startedBefore: Date): Promise<number> {
    const [, updated] = (await this.messages.manager.query(`${MARK_INTERRUPTED} WHERE status = 'streaming' AND created_at < $1`, [startedBefore])) as [
      unknown,
      number,
    ];
    return updated;
  }

  /** One reply that lost its generation, known to be lost now (no live process holds its session): marked as the sweep would. */
  async abortInterruptedReply(userId: string, sessionId: string, messageId: string): Promise<boolean> {
    const [, updated] = (await this.messages.manager.query(
      `${MARK_INTERRUPTED} WHERE id = $1 AND session_id = $2 AND status = 'streaming'
        AND EXISTS (SELECT 1 FROM chat_sessions s WHERE s.id = $2 AND s.user_id = $3)`,
      [messageId, sessionId, userId],
    )) as [unknown, number];
    return updated > 0;
  }
}

/** What a reply whose generation was lost says, in its row and in the final event its followers get. */
export const INTERRUPTED_REPLY_ERROR = 'The server stopped while this reply was being generated';

/** How a reply whose generation was lost is saved: what it had is kept, its status says it did not finish. */
const MARK_INTERRUPTED = `UPDATE messages SET status = 'aborted', error_code = 'interrupted', error = '${INTERRUPTED_REPLY_ERROR}'`;
