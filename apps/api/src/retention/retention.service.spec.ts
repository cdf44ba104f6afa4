import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { RETENTION_LOCK_KEY } from '@app/persistence';
import { bootServices, type ServiceTestbed } from '../../../../test/helpers/service-testbed.js';
import { POSTGRES, describeWith } from '../../../../test/helpers/suite-requirements.js';
import { createTestDatabase, type TestDatabase } from '../../../../test/helpers/test-database.js';
import { FileDirectoryStore } from '../files/file-directory.store.js';
import { MetricsService } from '../observability/metrics.service.js';
import { RetentionModule } from './retention.module.js';
import { RetentionService } from './retention.service.js';

/** More than two batches of the job's 500. */
const OLD_SESSIONS = 1_100;

/** The job against a database: `database` chooses which (a copy of the run's migrated PGlite when it gives none). */
function retentionSuite(database: () => Promise<TestDatabase | undefined>) {
  let bed: ServiceTestbed;
  let db: TestDatabase | undefined;
  let sql: DataSource;
  let dir: string;
  let store: FileDirectoryStore;

  beforeAll(async () => {
    db = await database();
    dir = await mkdtemp(join(tmpdir(), 'retention-files-'));
    store = new FileDirectoryStore(dir);
    bed = await bootServices([RetentionModule], { RETENTION_DAYS: '30', FILES_STORAGE: 'directory', FILES_DIR: dir, FILES_UNATTACHED_TTL: '1h', ...db?.env });
    sql = bed.module.get(DataSource);
  });
  afterAll(async () => {
    await bed?.close();
    await db?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  const count = async (query: string, parameters: unknown[] = []) => Number((await sql.query(query, parameters))[0].count);
  const deletedMetric = async () => (await bed.module.get(MetricsService).retentionDeletedSessions.get()).values[0]?.value ?? 0;

  /** Sessions last touched `daysAgo` days ago, each with a question and a reply. */
  async function sessionsTouched(daysAgo: number, howMany: number, title: string): Promise<void> {
    await sql.query(
      `INSERT INTO chat_sessions (user_id, title, provider, model, updated_at)
       SELECT $1, $2, 'echo', 'echo-1', now() - make_interval(days => $3) FROM generate_series(1, $4)`,
      [bed.userId, title, daysAgo, howMany],
    );
    await sql.query(
      `INSERT INTO messages (session_id, role, content) SELECT id, role, 'text' FROM chat_sessions, (VALUES ('user'), ('assistant')) AS r(role) WHERE title = $1`,
      [title],
    );
  }

  /** A file kept under FILES_DIR, uploaded `hoursAgo` hours ago, attached to the session titled `title` (or to none); its id. */
  async function fileOnDisk(hoursAgo: number, title: string | null): Promise<string> {
    const id = randomUUID();
    await store.write(bed.userId, id, Buffer.from('%PDF-1.4'));
    await sql.query(
      `INSERT INTO files (id, user_id, session_id, media_type, size, sha256, filename, created_at)
       VALUES ($1, $2, (SELECT id FROM chat_sessions WHERE title = $3 LIMIT 1), 'application/pdf', 8, repeat('0', 64), 'a.pdf', now() - make_interval(hours => $4))`,
      [id, bed.userId, title, hoursAgo],
    );
    return id;
  }
  const onDisk = (fileId: string) => existsSync(join(dir, bed.userId, fileId));

  it('deletes the files of the sessions it deletes with their bytes under FILES_DIR, and unattached uploads older than FILES_UNATTACHED_TTL', async () => {
    await sessionsTouched(40, 2, 'old with files');
    await sessionsTouched(1, 1, 'kept with files');
    const goneWithSession = await fileOnDisk(1000, 'old with files');
    const keptWithSession = await fileOnDisk(1000, 'kept with files');
    const oldUnattached = await fileOnDisk(2, null);
    const freshUnattached = await fileOnDisk(0, null);
    // Bytes already missing (removed by hand, another replica) do not stop the run.
    const alreadyGone = await fileOnDisk(2, null);
    await store.remove(bed.userId, [alreadyGone]);

    expect(await bed.module.get(RetentionService).run()).toEqual({ sessions: 2, unattachedFiles: 2 });

    expect(onDisk(goneWithSession)).toBe(false);
    expect(onDisk(oldUnattached)).toBe(false);
    expect(onDisk(keptWithSession)).toBe(true);
    expect(onDisk(freshUnattached)).toBe(true);
    const left: { id: string }[] = await sql.query(`SELECT id FROM files ORDER BY id`);
    expect(left.map((row) => row.id).sort()).toEqual([keptWithSession, freshUnattached].sort());
    expect(await bed.module.get(RetentionService).run()).toEqual({ sessions: 0, unattachedFiles: 0 });
    await sql.query(`DELETE FROM chat_sessions WHERE title = 'kept with files'`);
    await sql.query(`DELETE FROM files`);
  });

  it('deletes, in batches, the sessions untouched for longer than RETENTION_DAYS with their messages, and counts them', async () => {
    await sessionsTouched(31, OLD_SESSIONS, 'old');
    await sessionsTouched(29, 3, 'recent');
    await sessionsTouched(0, 2, 'today');
    const before = await deletedMetric();

    expect(await bed.module.get(RetentionService).run()).toEqual({ sessions: OLD_SESSIONS, unattachedFiles: 0 });

    expect(await count(`SELECT count(*) FROM chat_sessions WHERE user_id = $1 GROUP BY user_id`, [bed.userId])).toBe(5);
    expect(await count(`SELECT count(*) FROM chat_sessions WHERE title = 'old'`)).toBe(0);
    expect(await count(`SELECT count(*) FROM messages m JOIN chat_sessions s ON s.id = m.session_id WHERE s.title IN ('recent', 'today')`)).toBe(10);
    expect(await count(`SELECT count(*) FROM messages`)).toBe(10);
    expect((await deletedMetric()) - before).toBe(OLD_SESSIONS);
    // Nothing is left to delete: a second run deletes nothing.
    expect(await bed.module.get(RetentionService).run()).toEqual({ sessions: 0, unattachedFiles: 0 });
  });

  return () => bed;
}

describe('retention (PGlite)', () => {
  retentionSuite(async () => undefined);
});

describeWith(POSTGRES)('retention (PostgreSQL)', () => {
  const bed = retentionSuite(() => createTestDatabase());

  it('runs on one replica at a time: skipped while another holds the lock', async () => {
    const url = bed().module.get(DataSource).options as { url: string };
    const other = new pg.Client({ connectionString: url.url });
    await other.connect();
    try {
      const sql = bed().module.get(DataSource);
      await sql.query(`INSERT INTO chat_sessions (user_id, title, provider, model, updated_at) VALUES ($1, 'stale', 'echo', 'echo-1', now() - interval '90 days')`, [
        bed().userId,
      ]);
      expect((await other.query('SELECT pg_try_advisory_lock($1) AS locked', [RETENTION_LOCK_KEY])).rows[0].locked).toBe(true);
      expect(await bed().module.get(RetentionService).run()).toBeNull();
      expect(Number((await sql.query(`SELECT count(*) FROM chat_sessions WHERE title = 'stale'`))[0].count)).toBe(1);
      await other.query('SELECT pg_advisory_unlock($1)', [RETENTION_LOCK_KEY]);
      expect(await bed().module.get(RetentionService).run()).toEqual({ sessions: 1, unattachedFiles: 0 });
    } finally {
      await other.end();
    }
  });
});
