import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import { ChatSessionEntity } from '../entities/chat-session.entity.js';
import type { StoredReasoning } from '../entities/preset.entity.js';
import type { ExternalFileRef } from './files.repository.js';
import { BRANCH_AS_JSON, type BranchMessage, branchFrom } from './messages.repository.js';

/**
 * The retention job's advisory lock: held by one replica at a time, on the connection that runs the job, and
 * released with it should that replica die. Any constant works; this one is the job's alone.
 */
export const RETENTION_LOCK_KEY = 4_815_162_342;

/** One batch the retention job deleted. */
export interface DeletedSessions {
  count: number;
  externalFiles: ExternalFileRef[];
}

/** Keyset cursor of the session list: the last row of the previous page, its time as PostgreSQL wrote it (microseconds). */
export interface SessionCursor {
  pinned: boolean;
  updatedAt: string;
  id: string;
}

/** Keyset cursor of search results: the last hit of the previous page. */
export interface SessionSearchCursor {
  rank: number;
  id: string;
}

/** Which sessions a list or a search shows; an absent field does not filter. */
export interface SessionFilter {
  archived?: boolean;
  pinned?: boolean;
  folderId?: string;
}

/** A session as lists show it: the session, a glimpse of where it stands, and the key of its place in the list. */
export interface SessionSummary extends ChatSessionEntity {
  /** The first characters of the newest message of the branch shown (of the question while its reply is still empty). */
  lastMessagePreview: string;
  /** Every message of the session, all versions of every turn included. */
  messageCount: number;
  /** The branch shown ends with a reply still `streaming` (what the database knows; the generation store knows better). */
  replyStreaming: boolean;
  /** `updatedAt` to the microsecond, for the cursor. */
  sortedAt: string;
}

export interface SessionSearchHit extends SessionSummary {
  rank: number;
  /** The message that matched best; null when the title did. */
  matchedMessageId: string | null;
  /** The best match's text around the matching words, marked «like this»; plain text, not HTML. */
  snippet: string;
}

/** The settings a session's turns use (a preset holds the same); null leaves one to the server's default. */
export interface SessionSettings {
  provider?: string;
  model?: string;
  systemPrompt?: string | null;
  temperature?: number | null;
  maxOutputTokens?: number | null;
  reasoning?: StoredReasoning | null;
}

export interface SessionChanges extends SessionSettings {
  archived?: boolean;
  pinned?: boolean;
  /** null takes the session out of its folder. */
  folderId?: string | null;
  tags?: string[];
}

export const PREVIEW_LENGTH = 120;
/** Bounds a snippet whatever the text: a "word" of a script written without spaces can be a whole paragraph. */
export const SNIPPET_MAX_LENGTH = 300;

const SESSION_COLUMNS = `s.id, s.user_id AS "userId", s.title, s.provider, s.model, s.mode, s.active_message_id AS "activeMessageId",
  s.archived, s.pinned, s.folder_id AS "folderId", s.tags, s.system_prompt AS "systemPrompt", s.temperature,
  s.max_output_tokens AS "maxOutputTokens", s.reasoning, s.title_set_by_user AS "titleSetByUser", s.created_at AS "createdAt", s.updated_at AS "updatedAt"`;

/** The summary of session `s`: joins the branch's newest message and counts the session's messages (index on session_id). */
const SUMMARY_COLUMNS = `${SESSION_COLUMNS},
  left(COALESCE(NULLIF(leaf.content, ''), question.content, ''), ${PREVIEW_LENGTH}) AS "lastMessagePreview",
  COALESCE(leaf.status = 'streaming', false) AS "replyStreaming",
  (SELECT count(*)::int FROM messages c WHERE c.session_id = s.id) AS "messageCount",
  to_char(s.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS "sortedAt"`;
const SUMMARY_JOINS = `LEFT JOIN messages leaf ON leaf.id = s.active_message_id
  LEFT JOIN messages question ON question.id = leaf.parent_id AND leaf.content = ''`;

/** Appends the filter's conditions on session `s`, its values numbered after `params`. */
function filterConditions(filter: SessionFilter, params: unknown[]): string {
  const conditions: string[] = [];
  if (filter.archived !== undefined) conditions.push(`s.archived = $${params.push(filter.archived)}`);
  if (filter.pinned !== undefined) conditions.push(`s.pinned = $${params.push(filter.pinned)}`);
  if (filter.folderId !== undefined) conditions.push(`s.folder_id = $${params.push(filter.folderId)}::uuid`);
  return conditions.map((condition) => ` AND ${condition}`).join('');
}

@Injectable()
export class ChatSessionsRepository {
  constructor(@InjectRepository(ChatSessionEntity) private readonly sessions: Repository<ChatSessionEntity>) {}

  /** Plain SQL: continuing a session reads it before the first token. */
  async findOwned(userId: string, sessionId: string): Promise<ChatSessionEntity | null> {
    const rows: ChatSessionEntity[] = await this.sessions.manager.query(`SELECT ${SESSION_COLUMNS} FROM chat_sessions s WHERE s.id = $1 AND s.user_id = $2`, [
      sessionId,
      userId,
    ]);
    return rows[0] ?? null;
  }

  /**
   * The user's session and the newest `limit` messages of the branch it shows, newest first (see
   * MessagesRepository.branchOwned): what a turn that continues it reads before the provider's request, in one
   * statement. Null when the session is not the user's.
   */
  async findOwnedWithBranch(userId: string, sessionId: string, limit: number): Promise<{ session: ChatSessionEntity; branch: BranchMessage[] } | null> {
    const rows: (ChatSessionEntity & { branch: BranchMessage[] })[] = await this.sessions.manager.query(
      `WITH RECURSIVE s AS (SELECT ${SESSION_COLUMNS} FROM chat_sessions s WHERE s.id = $1 AND s.user_id = $2),
         ${branchFrom('s."activeMessageId"', '$3')}
       SELECT s.*, ${BRANCH_AS_JSON} AS branch FROM s`,
      [sessionId, userId, limit],
    );
    const [row] = rows;
    if (!row) return null;
    const { branch, ...session } = row;
    return { session, branch };
  }

  /** Pinned first, then newest; fetches one extra row so the caller knows whether a next page exists. */
  listOwned(userId: string, filter: SessionFilter, limit: number, after?: SessionCursor): Promise<SessionSummary[]> {
    const params: unknown[] = [userId];
    let conditions = filterConditions(filter, params);
    if (after) {
      conditions += ` AND (s.pinned, s.updated_at, s.id) < ($${params.push(after.pinned)}, $${params.push(after.updatedAt)}::timestamptz, $${params.push(after.id)}::uuid)`;
    }
    return this.sessions.manager.query(
      `SELECT ${SUMMARY_COLUMNS} FROM chat_sessions s ${SUMMARY_JOINS}
        WHERE s.user_id = $1${conditions}
        ORDER BY s.pinned DESC, s.updated_at DESC, s.id DESC LIMIT $${params.push(limit + 1)}`,
      params,
    );
  }

  /**
   * Sessions whose title or any message (every branch) has all the words of `text`, best first: a session ranks by
   * its best match. Words are the 'simple' configuration's tokens (no stemming, no stop words). Fetches one extra
   * hit; snippets are made for the page only (ts_headline reads the whole text).
   */
  searchOwned(userId: string, text: string, filter: SessionFilter, limit: number, after?: SessionSearchCursor): Promise<SessionSearchHit[]> {
    const params: unknown[] = [userId, text];
    const conditions = filterConditions(filter, params);
    const keyset = after ? `WHERE (rank, session_id) < ($${params.push(after.rank)}::real, $${params.push(after.id)}::uuid)` : '';
    return this.sessions.manager.query(
      `WITH query AS (SELECT plainto_tsquery('simple', $2) AS q),
       matches AS (
         SELECT s.id AS session_id, NULL::uuid AS message_id, ts_rank(s.search_vector, query.q) AS rank
           FROM chat_sessions s, query WHERE s.user_id = $1 AND s.search_vector @@ query.q${conditions}
         UNION ALL
         SELECT m.session_id, m.id, ts_rank(m.search_vector, query.q)
           FROM messages m JOIN chat_sessions s ON s.id = m.session_id, query
          WHERE s.user_id = $1 AND m.search_vector @@ query.q${conditions}),
       best AS (SELECT DISTINCT ON (session_id) session_id, message_id, rank FROM matches ORDER BY session_id, rank DESC, message_id NULLS FIRST),
       page AS (SELECT * FROM best ${keyset} ORDER BY rank DESC, session_id DESC LIMIT $${params.push(limit + 1)})
       SELECT ${SUMMARY_COLUMNS}, page.rank, page.message_id AS "matchedMessageId",
              left(ts_headline('simple', COALESCE(hit.content, s.title), query.q,
                'StartSel=«, StopSel=», MaxWords=30, MinWords=10, MaxFragments=2, FragmentDelimiter=" … "'), ${SNIPPET_MAX_LENGTH}) AS snippet
         FROM page JOIN chat_sessions s ON s.id = page.session_id ${SUMMARY_JOINS}
         LEFT JOIN messages hit ON hit.id = page.message_id
         CROSS JOIN query
        ORDER BY page.rank DESC, page.session_id DESC`,
      params,
    );
  }

  /**
   * A page of every session of the user in id order, after `afterId`: an order that the user's own chatting
   * (which moves updated_at) cannot shuffle while an export pages through it.
   */
  pageOwnedById(userId: string, limit: number, afterId?: string): Promise<ChatSessionEntity[]> {
    return this.sessions.manager.query(
      `SELECT ${SESSION_COLUMNS} FROM chat_sessions s WHERE s.user_id = $1 AND ($3::uuid IS NULL OR s.id > $3) ORDER BY s.id LIMIT $2`,
      [userId, limit, afterId ?? null],
    );
  }

  /** The user's own title: from now on a generated one never replaces it. */
  async renameOwned(userId: string, sessionId: string, title: string): Promise<ChatSessionEntity | null> {
    const result = await this.sessions.update({ id: sessionId, userId }, { title, titleSetByUser: true });
    return (result.affected ?? 0) > 0 ? this.findOwned(userId, sessionId) : null;
  }

  /**
   * A generated title, unless the user has chosen one meanwhile: checked in the same statement, so a rename that
   * lands while the title is being generated always wins. False when nothing was written.
   */
  async saveGeneratedTitle(userId: string, sessionId: string, title: string): Promise<boolean> {
    const [, updated] = (await this.sessions.manager.query(`UPDATE chat_sessions SET title = $3 WHERE id = $1 AND user_id = $2 AND NOT title_set_by_user`, [
      sessionId,
      userId,
      title,
    ])) as [unknown, number];
    return updated > 0;
  }

  /**
   * Files, pins, archives or tags the session, or changes its settings. A folder must be the user's own: checked in the same statement, so
   * a folder deleted meanwhile cannot be set. Organising is not activity: the session keeps its place by time.
   * Null when there is no such session, or (`folderMissing`) no such folder of the user.
   */
  async organiseOwned(userId: string, sessionId: string, changes: SessionChanges): Promise<ChatSessionEntity | 'folderMissing' | null> {
    const params: unknown[] = [sessionId, userId];
    const sets: string[] = [];
    if (changes.archived !== undefined) sets.push(`archived = $${params.push(changes.archived)}`);
    if (changes.pinned !== undefined) sets.push(`pinned = $${params.push(changes.pinned)}`);
    if (changes.tags !== undefined) sets.push(`tags = $${params.push(changes.tags)}::varchar[]`);
    if (changes.provider !== undefined) sets.push(`provider = $${params.push(changes.provider)}`);
    if (changes.model !== undefined) sets.push(`model = $${params.push(changes.model)}`);
    if (changes.systemPrompt !== undefined) sets.push(`system_prompt = $${params.push(changes.systemPrompt)}`);
    if (changes.temperature !== undefined) sets.push(`temperature = $${params.push(changes.temperature)}::double precision`);
    if (changes.maxOutputTokens !== undefined) sets.push(`max_output_tokens = $${params.push(changes.maxOutputTokens)}::integer`);
    if (changes.reasoning !== undefined) sets.push(`reasoning = $${params.push(changes.reasoning && JSON.stringify(changes.reasoning))}::jsonb`);
    let folderCheck = '';
    if (changes.folderId !== undefined) {
      const folder = `$${params.push(changes.folderId)}::uuid`;
      sets.push(`folder_id = ${folder}`);
      folderCheck = ` AND (${folder} IS NULL OR EXISTS (SELECT 1 FROM folders f WHERE f.id = ${folder} AND f.user_id = $2))`;
    }
    if (sets.length > 0) {
      const [, updated] = (await this.sessions.manager.query(`UPDATE chat_sessions SET ${sets.join(', ')} WHERE id = $1 AND user_id = $2${folderCheck}`, params)) as [
        unknown,
        number,
      ];
      if (updated === 0) return (await this.findOwned(userId, sessionId)) ? 'folderMissing' : null;
    }
    return this.findOwned(userId, sessionId);
  }

  /** Shows another branch: `leafId` must be a message of this session (the caller picked it from the session's messages). */
  async setActiveMessage(userId: string, sessionId: string, leafId: string): Promise<void> {
    await this.sessions.update({ id: sessionId, userId }, { activeMessageId: leafId });
  }

  /**
   * Runs `job` while this replica holds the retention job's advisory lock, which belongs to a connection: the job's
   * statements go through `manager`, on that same connection (PGlite has only one). Null, running nothing, while
   * another replica holds it.
   */
  async withRetentionLock<T>(job: (manager: EntityManager) => Promise<T>): Promise<T | null> {
    const runner = this.sessions.manager.connection.createQueryRunner();
    try {
      const [{ locked }] = (await runner.query('SELECT pg_try_advisory_lock($1) AS locked', [RETENTION_LOCK_KEY])) as [{ locked: boolean }];
      if (!locked) return null;
      try {
        return await job(runner.manager);
      } finally {
        await runner.query('SELECT pg_advisory_unlock($1)', [RETENTION_LOCK_KEY]);
      }
    } finally {
      await runner.release();
    }
  }

  /**
   * Deletes every session untouched since `before`, with its messages and files (the foreign keys cascade),
   * `batchSize` at a time so that no statement holds its row locks for long, and hands each batch to `onBatch`
   * once its rows are gone: its count and the files whose bytes are kept outside the database, which the caller
   * removes. The one query without an owner: retention is the operator's rule, for every user alike. Run it
   * inside withRetentionLock, with its `manager`.
   */
  async deleteUntouchedSince(
    manager: EntityManager,
    before: Date,
    batchSize: number,
    onBatch: (batch: DeletedSessions) => Promise<void>,
  ): Promise<number> {
    let total = 0;
    for (;;) {
      // One statement: the files are read from the snapshot the delete starts from, so none escapes the list.
      const [row] = (await manager.query(
        `WITH doomed AS (SELECT id FROM chat_sessions WHERE updated_at < $1 ORDER BY updated_at LIMIT $2 FOR UPDATE SKIP LOCKED),
              outside AS (SELECT f.id, f.user_id FROM files f JOIN doomed d ON f.session_id = d.id WHERE f.bytes IS NULL),
              deleted AS (DELETE FROM chat_sessions WHERE id IN (SELECT id FROM doomed) RETURNING id)
         SELECT (SELECT count(*) FROM deleted)::integer AS count,
                (SELECT coalesce(json_agg(json_build_object('id', id, 'userId', user_id)), '[]'::json) FROM outside) AS files`,
        [before, batchSize],
      )) as [{ count: number; files: ExternalFileRef[] }];
      total += row.count;
      if (row.count > 0) await onBatch({ count: row.count, externalFiles: row.files });
      if (row.count < batchSize) return total;
    }
  }

  async deleteOwned(userId: string, sessionId: string): Promise<boolean> {
    const result = await this.sessions.delete({ id: sessionId, userId });
    return (result.affected ?? 0) > 0;
  }
}
