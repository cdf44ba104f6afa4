import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../../libs/persistence/src/data-source.options.js';
import { createEmptyTestDatabase, emptyPgliteDatabase, PGLITE_TEMPLATE_VARIABLE, POSTGRES_TEMPLATE_VARIABLE, removeDatabaseTemplates, type TestDatabase } from './test-database.js';

/**
 * Once per jest run (its global set-up): a database of each kind the run uses, migrated as the app migrates one at
 * start-up (the same DataSource options, every migration). Every migrated database a suite then asks for is a copy
 * of it (createTestDatabase, bootServices), since migrating a fresh one costs each of them seconds: PGlite's initdb
 * and the migrations took 4.0-4.5 s of wall time in a jest process, a copy of the template 1.1; on PostgreSQL a
 * server started on a template's copy served in 2.2-2.8 s, on an empty database in 2.9-3.6 (2-core machine, Node
 * 20). Workers inherit the variables. The suites that test migrating itself ask for an empty database
 * (createEmptyTestDatabase).
 */
export async function createDatabaseTemplates(): Promise<void> {
  // Jest runs no global teardown after a set-up that failed: whatever was made is removed here.
  try {
    const pglite = emptyPgliteDatabase();
    process.env[PGLITE_TEMPLATE_VARIABLE] = pglite.env.PGLITE_DATA_DIR;
    await migrate(pglite);

    if (!process.env.TEST_DATABASE_URL) return;
    const postgres = await createEmptyTestDatabase();
    process.env[POSTGRES_TEMPLATE_VARIABLE] = new URL(postgres.env.DATABASE_URL!).pathname.slice(1);
    await migrate(postgres);
  } catch (error) {
    await removeDatabaseTemplates();
    throw error;
  }
}

async function migrate(database: TestDatabase): Promise<void> {
  const { DATABASE_URL: url, PGLITE_DATA_DIR: pgliteDataDir = '' } = database.env;
  const dataSource = new DataSource(await buildDataSourceOptions({ url, pgliteDataDir, poolSize: 1, migrationsRun: true, logQueries: false }));
  try {
    await dataSource.initialize();
  } finally {
    // Closed on failure too: a connection left open to the PostgreSQL template would keep it from being dropped.
    if (dataSource.isInitialized) await dataSource.destroy();
  }
}
