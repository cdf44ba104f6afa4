import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { parseDatabaseConfig } from '@app/common';
import { buildDataSourceOptions } from '@app/persistence';

/** The DataSource the TypeORM CLI uses: same settings as the app (DATABASE_URL, else the embedded PGlite). */
export default new DataSource(
  await buildDataSourceOptions({ ...parseDatabaseConfig(process.env), migrationsRun: false }),
);
