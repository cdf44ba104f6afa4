import type { DataSourceOptions } from 'typeorm';
import { ENTITIES } from './entities/index.js';
import { MIGRATIONS } from './migrations/index.js';
import { openPglite, pgliteDriver } from './pglite/pglite-pool.js';
import { QueryLogger } from './query.logger.js';

export interface DatabaseSettings {
  /** A PostgreSQL connection string; absent means the embedded PGlite database. */
  url?: string;
  pgliteDataDir: string;
  poolSize: number;
  migrationsRun: boolean;
  logQueries: boolean;
}

/** One definition for the app, the TypeORM CLI and the tests, so all three see the same schema. */
export async function buildDataSourceOptions(settings: DatabaseSettings): Promise<DataSourceOptions> {
  const common = {
    type: 'postgres',
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsRun: settings.migrationsRun,
    synchronize: false,
    installExtensions: false,
    uuidExtension: 'pgcrypto',
    // Ours, not TypeORM's: theirs prints failed statements with their parameters (secrets, chat text) to stdout.
    logger: new QueryLogger(settings.logQueries),
  } as const;
  if (settings.url) {
    return { ...common, url: settings.url, poolSize: settings.poolSize, applicationName: 'llm-chat-backend' };
  }
  const db = await openPglite(settings.pgliteDataDir);
  return { ...common, driver: pgliteDriver(db), database: 'postgres' };
}
