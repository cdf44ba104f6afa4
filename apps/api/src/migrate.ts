import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { ConfigError, parseDatabaseConfig } from '@app/common';
import { buildDataSourceOptions } from '@app/persistence';
import { exitWhenSettled } from './process-exit.js';

/**
 * Applies the pending migrations and exits: the one-shot step a deployment runs before its replicas start (with
 * DATABASE_MIGRATIONS_RUN=false), so that several replicas never race to migrate. It needs only the built output
 * and the production dependencies, unlike `npm run migration:run` (the TypeORM CLI through tsx, dev dependencies).
 */
let dataSource: DataSource | undefined;
try {
  dataSource = new DataSource(await buildDataSourceOptions({ ...parseDatabaseConfig(process.env), migrationsRun: false }));
  await dataSource.initialize();
  const applied = await dataSource.runMigrations({ transaction: 'all' });
  console.log(JSON.stringify({ level: 30, time: Date.now(), context: 'Migrations', msg: `Applied ${applied.length} migration(s)`, migrations: applied.map(({ name }) => name) }));
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error);
  exitWhenSettled(1);
} finally {
  // Closed on failure too: an open pool would keep the process until the forced exit.
  if (dataSource?.isInitialized) await dataSource.destroy();
}
