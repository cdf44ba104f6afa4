/**
 * What storing a turn costs any gateway on node-postgres: the statements our gateway sends for a stored turn, with
 * the same shape and as many values, and nothing else (no TypeORM, no retries, no generation). On PostgreSQL
 * (`FLOOR_DATABASE_URL`) through a `pg` Pool of the same size as ours; on PGlite (`FLOOR_PGLITE_DIR`), the embedded
 * database running in the floor's own process as it runs in ours, through one `pg` client over PGlite's connection
 * with each statement prepared once and the plans made again as the tables grow, as our PGlite pool sends them
 * (libs/persistence/src/pglite/pglite-pool.ts).
 * Tables of its own, created at start, with the indexes, foreign keys and generated search columns those
 * statements meet in our schema (the database's work, which in the bench shares the load client's core on
 * PostgreSQL and the gateway's on PGlite, is then the same as ours).
 * - A `/v1` turn (`begin`), two statements. Before the reply: a new session, the user's message and the reply's
 *   `streaming` row, in one statement beside the upstream request. After it, before the end: the reply's row
 *   finished and its usage recorded, in one statement.
 * - A chat turn continuing a session (`openSession`), three: first, before the upstream request, the session and
 *   its latest message read in one statement (our gateways in the bench read one earlier message:
 *   `CHAT_HISTORY_MAX_MESSAGES=2`); then, beside the upstream request, the session moved on to the new turn with
 *   the user's message and the reply's row; then the reply finished as above. The sessions are the store's own
 *   pool, as the bench's client keeps ours: a turn takes a free one, or starts one (as a `/v1` turn does) when none
 *   is free, and gives it back once its reply is stored.
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

const READ = `WITH RECURSIVE s AS (
    SELECT id, user_id, title, provider, model, active_message_id, pinned, created_at, updated_at FROM floor_sessions WHERE id = $1 AND user_id = $2),
  branch AS (
    SELECT m.id, m.parent_id, m.role, m.content, m.status, 1 AS depth FROM s JOIN floor_messages m ON m.id = s.active_message_id AND m.session_id = s.id
    UNION ALL
    SELECT p.id, p.parent_id, p.role, p.content, p.status, branch.depth + 1 FROM branch JOIN floor_messages p ON p.id = branch.parent_id WHERE branch.depth < $3)
  SELECT s.*, COALESCE((SELECT json_agg(json_build_object('id', b.id, 'parentId', b.parent_id, 'role', b.role, 'content', b.content, 'status', b.status)
                                 ORDER BY b.depth) FROM branch b), '[]') AS branch FROM s`;

const CONTINUE = `WITH at AS (SELECT clock_timestamp() AS t),
  s AS (UPDATE floor_sessions SET provider = $3, model = $4, active_message_id = $5, updated_at = now() WHERE id = $1 AND user_id = $2 RETURNING id),
  question AS (INSERT INTO floor_messages (id, session_id, parent_id, role, content, status, created_at)
               SELECT $7::uuid, s.id, $6::uuid, 'user', $8, 'complete', at.t FROM s, at RETURNING id),
  reply AS (INSERT INTO floor_messages (id, session_id, parent_id, role, content, status, provider, model, created_at)
            SELECT $5, s.id, $7::uuid, 'assistant', '', 'streaming', $3, $4, at.t + interval '1 microsecond' FROM s, at RETURNING id)
  SELECT id FROM reply`;

/** Earlier messages a continuing turn reads: the bench's `CHAT_HISTORY_MAX_MESSAGES=2` less the new question. */
const BRANCH_READ = 1;

/**
 * `query(text, values)` on PostgreSQL at `url` or on a PGlite database in `pgliteDir`. PGlite is one connection:
 * the `pg` client queues the statements of concurrent turns, as our pool hands the connection out one at a time.
 */
async function connect({ url, pgliteDir }) {
  if (url) {
    const pool = new pg.Pool({ connectionString: url, max: 20 });
    return (text, values) => pool.query(text, values);
  }
  // Loaded only here: the floors without a database, and those on PostgreSQL, keep PGlite out of their heap.
  const { PGlite } = await import('@electric-sql/pglite');
  const { createPgConfig } = await import('@electric-sql/pglite/node-postgres');
  const client = new pg.Client(createPgConfig(await PGlite.create(pgliteDir)));
  await client.connect();
  const names = new Map();
  const nameOf = (text) => names.get(text) ?? names.set(text, `s${names.size}`).get(text);
  // As our PGlite pool does (FIRST_REPLAN_AFTER there): the kept plans made again at the 1,000th statement, the
  // 2,000th, the 4,000th and so on, for the tables as they are then. Without it the floor's plans, made while its
  // tables were nearly empty, cost it more and more as they grow (PGlite has no autovacuum).
  let sent = 0;
  let replanAt = 1_000;
  return (text, values) => {
    if (++sent === replanAt) {
      replanAt *= 2;
      client.query('DISCARD PLANS').catch(() => undefined);
    }
    return client.query(values ? { name: nameOf(text), text, values } : text);
  };
}

/**
 * A store of turns in the database at `database.url` (PostgreSQL) or `database.pgliteDir` (PGlite);
 * `begin(question)` writes a turn's start, its `finish(text)` the end.
 */
export async function openTurnStore(database) {
  const query = await connect(database);
  await query(SCHEMA);
  const userId = randomUUID();
  await query('INSERT INTO floor_users (id) VALUES ($1)', [userId]);
  /** Sessions no turn is continuing. */
  const free = [];
  /** A turn whose first statement is `statement(replyId)`; `finished()` once its reply is stored. */
  const turn = (statement, finished = () => undefined) => {
    const replyId = randomUUID();
    const startedAt = performance.now();
    const written = statement(replyId);
    // Awaited by `finish`; a client that leaves first never gets there, and its turn's failure is not a crash.
    written.catch(() => undefined);
    return {
      async finish(text) {
        await written;
        const elapsedMs = Math.round(performance.now() - startedAt);
        await query(FINISH, [replyId, text, elapsedMs, 1, text.length, userId, 'openai', 'fake', null]);
        finished();
      },
    };
  };
  const newSession = (question, sessionId = randomUUID()) => (replyId) =>
    query(BEGIN, [sessionId, userId, 'bench', 'openai', 'fake', replyId, randomUUID(), question]);
  return {
    /** A `/v1` turn: a session of its own. */
    begin: (question) => turn(newSession(question)),
    /** A chat turn: a free session read (or, with none, a new one); `begin(question)` then writes the turn. */
    async openSession() {
      const continued = free.pop();
      const sessionId = continued ?? randomUUID();
      const giveBack = () => free.push(sessionId);
      if (!continued) return { begin: (question) => turn(newSession(question, sessionId), giveBack) };
      const { rows } = await query(READ, [sessionId, userId, BRANCH_READ]);
      const parentId = rows[0].branch[0]?.id ?? null;
      return {
        begin: (question) => turn((replyId) => query(CONTINUE, [sessionId, userId, 'openai', 'fake', replyId, parentId, randomUUID(), question]), giveBack),
      };
    },
  };
}
