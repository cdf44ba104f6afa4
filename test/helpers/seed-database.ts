import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import type { TestDatabase } from './test-database.js';

/**
 * Runs SQL (several statements, no parameters) straight on a test server's database, for data too large to make
 * through the API. PGlite is one process's files: its server must be stopped meanwhile (restart it on `db`).
 */
export async function seedDatabase(db: TestDatabase, sql: string): Promise<void> {
  if (db.kind === 'pglite') {
    const pglite = await PGlite.create(db.env.PGLITE_DATA_DIR!);
    try {
      await pglite.exec(sql);
    } finally {
      await pglite.close();
    }
    return;
  }
  const client = new pg.Client({ connectionString: db.env.DATABASE_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
