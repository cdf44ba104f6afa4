/**
 * What storing a turn costs any gateway on node-postgres (`FLOOR_DATABASE_URL`): the two statements our `/v1` sends
 * for a stored turn, with the same shape and as many values, through a `pg` Pool of the same size and nothing
 * else (no TypeORM, no retries, no generation). Before the reply: a new session, the user's message and the
 * reply's `streaming` row, in one statement beside the upstream request. After it, before `[DONE]`: the reply's
 * row finished and its usage recorded, in one statement. Tables of its own, created at start, with the indexes,
 * foreign keys and generated search columns those statements meet in our schema (the database's work, which in
 * the bench shares the load client's core, is then the same as ours).
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import pg from 'pg';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS floor_users (id uuid PRIMARY KEY);
  CREATE TABLE IF NOT EXISTS floor_sessions (
    id uuid PRIMARY KEY, user_id uuid NOT NULL REFERENCES floor_users (id) ON DELETE CASCADE, title varchar(200) NOT NULL,
    provider varchar(32) NOT NULL, model varchar(200) NOT NULL, active_message_id uuid, pinned boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now(),
    search_vector tsvector GENERATED ALWAYS AS (to_tsvector('simple', title)) STORED NOT NULL);
  CREATE INDEX IF NOT EXISTS floor_sessions_updated ON floor_sessions (updated_at);
  CREATE INDEX IF NOT EXISTS floor_sessions_user ON floor_sessions (user_id, pinned, updated_at);
  CREATE INDEX IF NOT EXISTS floor_sessions_search ON floor_sessions USING GIN (search_vector);
  CREATE TABLE IF NOT EXISTS floor_messages (
    id uuid PRIMARY KEY, session_id uuid NOT NULL REFERENCES floor_sessions (id) ON DELETE CASCADE,
    parent_id uuid REFERENCES floor_messages (id) ON DELETE CASCADE, role varchar(16) NOT NULL, content text NOT NULL,
    status varchar(16) NOT NULL, provider varchar(32), model varchar(200), response_time_ms integer, prompt_tokens integer,
    completion_tokens integer, created_at timestamptz NOT NULL,
    search_vector tsvector GENERATED ALWAYS AS (to_tsvector('simple', content)) STORED NOT NULL);
  CREATE INDEX IF NOT EXISTS floor_messages_session ON floor_messages (session_id, created_at);
  CREATE INDEX IF NOT EXISTS floor_messages_parent ON floor_messages (parent_id);
  CREATE INDEX IF NOT EXISTS floor_messages_search ON floor_messages USING GIN (search_vector);
  CREATE TABLE IF NOT EXISTS floor_usage (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(), user_id uuid NOT NULL, message_id uuid, provider varchar(32) NOT NULL,
    model varchar(200) NOT NULL, status varchar(16) NOT NULL, prompt_tokens integer NOT NULL, completion_tokens integer NOT NULL,
    cost numeric(20, 9), created_at timestamptz NOT NULL DEFAULT now());
  CREATE UNIQUE INDEX IF NOT EXISTS floor_usage_message ON floor_usage (message_id);
  CREATE INDEX IF NOT EXISTS floor_usage_user ON floor_usage (user_id, created_at);
  CREATE INDEX IF NOT EXISTS floor_usage_created ON floor_usage (created_at);`;

const BEGIN = `WITH at AS (SELECT clock_timestamp() AS t),
  s AS (INSERT INTO floor_sessions (id, user_id, title, provider, model, active_message_id) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id),
  question AS (INSERT INTO floor_messages (id, session_id, parent_id, role, content, status, created_at)
               SELECT $7::uuid, s.id, NULL, 'user', $8, 'complete', at.t FROM s, at RETURNING id),
  reply AS (INSERT INTO floor_messages (id, session_id, parent_id, role, content, status, provider, model, created_at)
            SELECT $6, s.id, $7::uuid, 'assistant', '', 'streaming', $4, $5, at.t + interval '1 microsecond' FROM s, at RETURNING id)
  SELECT id FROM reply`;

const FINISH = `WITH reply AS (UPDATE floor_messages SET content = $2, status = 'complete', response_time_ms = $3, prompt_tokens = $4, completion_tokens = $5
                                WHERE id = $1 AND status = 'streaming' RETURNING id),
  usage AS (INSERT INTO floor_usage (user_id, message_id, provider, model, status, prompt_tokens, completion_tokens, cost)
            VALUES ($6, $1, $7, $8, 'complete', $4, $5, $9)
            ON CONFLICT (message_id) DO NOTHING)
  SELECT count(*)::int AS finished FROM reply`;

/** A store of turns in the database at `url`; `begin(question)` writes a turn's start, its `finish(text)` the end. */
export async function openTurnStore(url) {
  const pool = new pg.Pool({ connectionString: url, max: 20 });
  await pool.query(SCHEMA);
  const userId = randomUUID();
  await pool.query('INSERT INTO floor_users (id) VALUES ($1)', [userId]);
  return {
    begin(question) {
      const replyId = randomUUID();
      const startedAt = performance.now();
      const written = pool.query(BEGIN, [randomUUID(), userId, 'bench', 'openai', 'fake', replyId, randomUUID(), question]);
      // Awaited by `finish`; a client that leaves first never gets there, and its turn's failure is not a crash.
      written.catch(() => undefined);
      return {
        async finish(text) {
          await written;
          const elapsedMs = Math.round(performance.now() - startedAt);
          await pool.query(FINISH, [replyId, text, elapsedMs, 1, text.length, userId, 'openai', 'fake', null]);
        },
      };
    },
  };
}
