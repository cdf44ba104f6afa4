import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { RETENTION_LOCK_KEY } from '@app/persistence';
import { bootServices, type ServiceTestbed } from '../../../../test/helpers/service-testbed.js';
import { POSTGRES, describeWith } from '../../../../test/helpers/suite-requirements.js';
import { createTestDatabase, type TestDatabase } from '../../../../test/helpers/test-database.js';
import { MetricsService } from '../observability/metrics.service.js';
import { RetentionModule } from './retention.module.js';
import { RetentionService } from './retention.service.js';

/** More than two batches of the job's 500. */
const OLD_SESSIONS = 1_100;

/** The job against a database: `env` chooses which (PGlite in memory by default). */
function retentionSuite(database: () => Promise<TestDatabase | undefined>) {
  let bed: ServiceTestbed;
  let db: TestDatabase | undefined;
  let sql: DataSource;

  beforeAll(async () => {
    db = await database();
    bed = await bootServices([RetentionModule], { RETENTION_DAYS: '30', ...db?.env });
    sql = bed.module.get(DataSource);
  });
  afterAll(async () => {
    await bed?.close();
    await db?.drop();
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

  it('deletes, in batches, the sessions untouched for longer than RETENTION_DAYS with their messages, and counts them', async () => {
    await sessionsTouched(31, OLD_SESSIONS, 'old');
    await sessionsTouched(29, 3, 'recent');
    await sessionsTouched(0, 2, 'today');
    const before = await deletedMetric();

    expect(await bed.module.get(RetentionService).run()).toBe(OLD_SESSIONS);

    expect(await count(`SELECT count(*) FROM chat_sessions WHERE user_id = $1 GROUP BY user_id`, [bed.userId])).toBe(5);
    expect(await count(`SELECT count(*) FROM chat_sessions WHERE title = 'old'`)).toBe(0);
    expect(await count(`SELECT count(*) FROM messages m JOIN chat_sessions s ON s.id = m.session_id WHERE s.title IN ('recent', 'today')`)).toBe(10);
    expect(await count(`SELECT count(*) FROM messages`)).toBe(10);
    expect((await deletedMetric()) - before).toBe(OLD_SESSIONS);
    // Nothing is left to delete: a second run deletes nothing.
    expect(await bed.module.get(RetentionService).run()).toBe(0);
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
      expect(await bed().module.get(RetentionService).run()).toBe(1);
    } finally {
      await other.end();
    }
  });
});
