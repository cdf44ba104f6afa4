import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/**
 * With TEST_DATABASE_URL set (CI points it at the real PostgreSQL), each suite gets a database of its own,
 * created here and dropped afterwards, so suites never see each other's rows. Without it, each server gets an
 * embedded PGlite of its own, on disk, so it also survives a restart of the server. A migrated one is a copy of
 * the template the run's global set-up migrated once (test/helpers/database-templates.ts).
 */
export interface TestDatabase {
  env: Record<string, string>;
  kind: 'postgres' | 'pglite';
  drop(): Promise<void>;
}

/** Where test/global-setup.js leaves the migrated PGlite data directory for this run. */
export const PGLITE_TEMPLATE_VARIABLE = 'TEST_PGLITE_TEMPLATE';
/** The migrated PostgreSQL database of this run, when it has TEST_DATABASE_URL. */
export const POSTGRES_TEMPLATE_VARIABLE = 'TEST_POSTGRES_TEMPLATE';

/** A migrated database of the run's kind. */
export async function createTestDatabase(): Promise<TestDatabase> {
  if (!process.env.TEST_DATABASE_URL) return copyPgliteTemplate();
  return createPostgresDatabase(template(POSTGRES_TEMPLATE_VARIABLE));
}

/** An empty database of the run's kind, for what migrates one itself. */
export async function createEmptyTestDatabase(): Promise<TestDatabase> {
  return process.env.TEST_DATABASE_URL ? createPostgresDatabase() : emptyPgliteDatabase();
}

async function createPostgresDatabase(templateName?: string): Promise<TestDatabase> {
  const adminUrl = process.env.TEST_DATABASE_URL!;
  const name = `chat_test_${randomBytes(6).toString('hex')}`;
  await withAdmin(adminUrl, (client) => client.query(`CREATE DATABASE "${name}"${templateName ? ` TEMPLATE "${templateName}"` : ''}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    kind: 'postgres',
    env: { DATABASE_URL: url.toString() },
    drop: () => dropPostgresDatabase(adminUrl, name),
  };
}

/** A fresh, empty PGlite data directory (the template is made from one). */
export function emptyPgliteDatabase(): TestDatabase {
  const dataDir = mkdtempSync(join(tmpdir(), 'pglite-'));
  return { kind: 'pglite', env: { PGLITE_DATA_DIR: dataDir }, drop: async () => rmSync(dataDir, { recursive: true, force: true }) };
}

/** A migrated PGlite data directory of its own, whatever database the run has (in-process suites use PGlite). */
export function copyPgliteTemplate(): TestDatabase {
  const database = emptyPgliteDatabase();
  cpSync(template(PGLITE_TEMPLATE_VARIABLE), database.env.PGLITE_DATA_DIR!, { recursive: true });
  return database;
}

function template(variable: string): string {
  const name = process.env[variable];
  if (!name) throw new Error(`${variable} is not set: suites run through jest, whose global set-up (test/global-setup.js) makes it`);
  return name;
}

/** What the global set-up made, removed once the run ends (test/global-teardown.js). */
export async function removeDatabaseTemplates(): Promise<void> {
  const pglite = process.env[PGLITE_TEMPLATE_VARIABLE];
  if (pglite) rmSync(pglite, { recursive: true, force: true });
  const postgres = process.env[POSTGRES_TEMPLATE_VARIABLE];
  const adminUrl = process.env.TEST_DATABASE_URL;
  if (postgres && adminUrl) await dropPostgresDatabase(adminUrl, postgres);
}

async function dropPostgresDatabase(adminUrl: string, name: string): Promise<void> {
  await withAdmin(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
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
