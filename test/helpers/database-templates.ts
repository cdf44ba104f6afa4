import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../../libs/persistence/src/data-source.options.js';
import { emptyPgliteDatabase, PGLITE_TEMPLATE_VARIABLE, POSTGRES_TEMPLATE_VARIABLE, withAdmin } from './test-database.js';

/**
 * Once per jest run (its global set-up): a database of each kind the run uses, migrated as the app migrates one at
 * start-up (the same DataSource options, every migration). Every database a suite then asks for is a copy of it
 * (createTestDatabase, bootServices), since migrating a fresh one costs each server seconds of CPU: PGlite's
 * initdb and the migrations took 3-4.5 s of wall time in a jest worker, a copy of the template 0.9-1.1; on
 * PostgreSQL a server started on a template's copy served 0.5-1 s sooner than on an empty database. Workers
 * inherit the variables. The suites that test migrating itself ask for an empty database
 * (createEmptyTestDatabase).
 */
export async function createDatabaseTemplates(): Promise<void> {
  const pglite = emptyPgliteDatabase();
  await migrate({ url: undefined, pgliteDataDir: pglite.env.PGLITE_DATA_DIR! });
  process.env[PGLITE_TEMPLATE_VARIABLE] = pglite.env.PGLITE_DATA_DIR;

  const adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) return;
  const name = `chat_template_${randomBytes(6).toString('hex')}`;
  await withAdmin(adminUrl, (client) => client.query(`CREATE DATABASE "${name}"`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  await migrate({ url: url.toString(), pgliteDataDir: '' });
  process.env[POSTGRES_TEMPLATE_VARIABLE] = name;
}

export async function removeDatabaseTemplates(): Promise<void> {
  const pglite = process.env[PGLITE_TEMPLATE_VARIABLE];
  if (pglite) rmSync(pglite, { recursive: true, force: true });
  const postgres = process.env[POSTGRES_TEMPLATE_VARIABLE];
  const adminUrl = process.env.TEST_DATABASE_URL;
  if (postgres && adminUrl) await withAdmin(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS "${postgres}" WITH (FORCE)`));
}

async function migrate(database: { url: string | undefined; pgliteDataDir: string }): Promise<void> {
  const dataSource = new DataSource(await buildDataSourceOptions({ ...database, poolSize: 1, migrationsRun: true, logQueries: false }));
  await dataSource.initialize();
  await dataSource.destroy();
}
