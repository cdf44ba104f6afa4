import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/**
 * With TEST_DATABASE_URL set (CI points it at the real PostgreSQL), each suite gets a database of its own,
 * created here and dropped afterwards, so suites never see each other's rows. Without it, the embedded PGlite
 * runs in memory.
 */
export interface TestDatabase {
  env: Record<string, string>;
  kind: 'postgres' | 'pglite';
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) {
    return { kind: 'pglite', env: { PGLITE_DATA_DIR: 'memory://' }, drop: async () => undefined };
  }
  const name = `chat_test_${randomBytes(6).toString('hex')}`;
  await withAdmin(adminUrl, (client) => client.query(`CREATE DATABASE "${name}"`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    kind: 'postgres',
    env: { DATABASE_URL: url.toString() },
    drop: () => withAdmin(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  };
}

/** Like createTestDatabase, but PGlite on disk rather than in memory, so the data survives a server restart. */
export async function createPersistentTestDatabase(): Promise<TestDatabase> {
  if (process.env.TEST_DATABASE_URL !== undefined) return createTestDatabase();
  const dataDir = mkdtempSync(join(tmpdir(), 'pglite-'));
  return { kind: 'pglite', env: { PGLITE_DATA_DIR: dataDir }, drop: async () => rmSync(dataDir, { recursive: true, force: true }) };
}

async function withAdmin<T>(adminUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
