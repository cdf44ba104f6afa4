import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { StoredReasoning } from '../entities/preset.entity.js';
import type { MessagePart, OfferedTool } from '../entities/message.entity.js';

/** What a new session keeps for its later turns besides its provider and model. */
export interface NewSessionSettings {
  systemPrompt: string | null;
  temperature: number | null;
  maxOutputTokens: number | null;
  reasoning: StoredReasoning | null;
}

export interface NewTurn {
  userId: string;
  sessionId: string;
  /** Present when the turn opens a new session. */
  newSession?: { title: string; settings?: NewSessionSettings };
  provider: string;
  model: string;
  /** Where the turn joins the conversation: the new question's parent, or the message re-answered when there is none. */
  parentId: string | null;
  /**
   * The message the reply answers: the user's new message, or (role `tool`) the results a client sent for the
   * parent's tool calls; absent when regenerating the answer to `parentId`. `parts`: its text and the files
   * attached, which the session then owns (those not owned by another session already), or its tool results.
   */
  question?: { id: string; content: string; role?: 'user' | 'tool'; parts?: MessagePart[] };
  replyId: string;
  /** The tools the request offers the model, kept on the reply's row. */
  tools?: OfferedTool[];
}

/**
 * Writes the start of a chat turn at once: the session (created, or moved to the top with the turn's provider,
 * model and the new reply as the branch shown), the user's message, and the reply as `streaming`. Ids come from
 * the caller, so the chat stream can announce them and start the upstream call while these writes are in flight.
 */
@Injectable()
export class ChatTurnsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * One statement, so one round trip and atomic without an explicit transaction. The reply is stamped one
   * microsecond after the question, so the two always sort in order.
   */
  async beginTurn(turn: NewTurn): Promise<void> {
    const params: unknown[] = [turn.sessionId, turn.userId, turn.provider, turn.model, turn.replyId, turn.parentId];
    const param = (value: unknown) => `$${params.push(value)}`;
    const settings = turn.newSession?.settings;
    const session = turn.newSession
      ? `INSERT INTO chat_sessions (id, user_id, title, provider, model, active_message_id, system_prompt, temperature, max_output_tokens, reasoning)
           VALUES ($1, $2, ${param(turn.newSession.title)}, $3, $4, $5, ${param(settings?.systemPrompt ?? null)}, ${param(settings?.temperature ?? null)}::double precision,
                   ${param(settings?.maxOutputTokens ?? null)}::integer, ${param(settings?.reasoning ? JSON.stringify(settings.reasoning) : null)}::jsonb) RETURNING id`
      : `UPDATE chat_sessions SET provider = $3, model = $4, active_message_id = $5, updated_at = now() WHERE id = $1 AND user_id = $2 RETURNING id`;
    const questionId = turn.question && `${param(turn.question.id)}::uuid`;
    const parts = turn.question?.parts;
    const fileIds = (parts ?? []).flatMap((part) => (part.type === 'file' ? [part.fileId] : []));
    const question = turn.question
      ? `question AS (
           INSERT INTO messages (id, session_id, parent_id, role, content, parts, status, created_at)
           SELECT ${questionId}, s.id, $6::uuid, ${param(turn.question.role ?? 'user')}, ${param(turn.question.content)},
                  ${param(parts ? JSON.stringify(parts) : null)}::jsonb, 'complete', at.t FROM s, at RETURNING id),`
      : '';
    const attached = fileIds.length
      ? `attached AS (UPDATE files SET session_id = s.id FROM s WHERE files.id = ANY(${param(fileIds)}::uuid[]) AND files.user_id = $2 AND files.session_id IS NULL),`
      : '';
    const replyParent = questionId ?? '$6::uuid';
    const rows: unknown[] = await this.dataSource.query(
      `WITH at AS (SELECT clock_timestamp() AS t),
            s AS (${session}),
            ${question}
            ${attached}
            reply AS (
              INSERT INTO messages (id, session_id, parent_id, role, content, status, provider, model, tools, created_at)
              SELECT $5, s.id, ${replyParent}, 'assistant', '', 'streaming', $3, $4, ${param(turn.tools?.length ? JSON.stringify(turn.tools) : null)}::jsonb,
                     at.t + interval '1 microsecond' FROM s, at RETURNING id)
       SELECT id FROM reply`,
      params,
    );
    if (rows.length !== 1) throw new Error('The session disappeared while the turn was starting');
  }
}
