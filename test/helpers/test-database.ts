import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/**
 * With TEST_DATABASE_URL set (CI points it at the real PostgreSQL), each suite gets a database of its own,
 * created here and dropped afterwards, so suites never see each other's rows. Without it, each server gets an
 * embedded PGlite of its own: a copy of the template the e2e global set-up migrated once (test/helpers/pglite-template.ts),
 * since a fresh PGlite costs an initdb (seconds of CPU) and every server would pay it. On disk, so it also
 * survives a restart of the server.
 */
export interface TestDatabase {
  env: Record<string, string>;
  kind: 'postgres' | 'pglite';
  drop(): Promise<void>;
}

/** Where test/global-setup.ts leaves the migrated PGlite data directory for this run. */
export const PGLITE_TEMPLATE_VARIABLE = 'TEST_PGLITE_TEMPLATE';

export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) return copyPgliteTemplate();
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

/** A fresh, empty PGlite data directory (the template is made from one). */
export function emptyPgliteDatabase(): TestDatabase {
  const dataDir = mkdtempSync(join(tmpdir(), 'pglite-'));
  return { kind: 'pglite', env: { PGLITE_DATA_DIR: dataDir }, drop: async () => rmSync(dataDir, { recursive: true, force: true }) };
}

function copyPgliteTemplate(): TestDatabase {
  const template = process.env[PGLITE_TEMPLATE_VARIABLE];
  if (!template) throw new Error(`${PGLITE_TEMPLATE_VARIABLE} is not set: e2e suites run through jest's e2e project, whose global set-up makes it`);
  const database = emptyPgliteDatabase();
  cpSync(template, database.env.PGLITE_DATA_DIR!, { recursive: true });
  return database;
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
