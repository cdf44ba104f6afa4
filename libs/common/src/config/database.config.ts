import { registerAs } from '@nestjs/config';
import { join } from 'node:path';
import { EnvReader, type Env } from './env-reader.js';

export function parseDatabaseConfig(env: Env) {
  const read = new EnvReader(env);
  const url = read.url('DATABASE_URL', ['postgres:', 'postgresql:']);
  return {
    /** Absent: the embedded PGlite database. */
    url,
    pgliteDataDir: read.string('PGLITE_DATA_DIR', join(read.string('DATA_DIR', './data'), 'pglite')),
    poolSize: read.int('DATABASE_POOL_SIZE', 10, { min: 1, max: 200 }),
    migrationsRun: read.bool('DATABASE_MIGRATIONS_RUN', true),
    logQueries: read.bool('DATABASE_LOG_QUERIES', false),
    /** Sessions untouched for longer are deleted with their messages; absent, sessions are kept forever. */
    retentionDays: read.string('RETENTION_DAYS') === undefined ? undefined : read.int('RETENTION_DAYS', 0, { min: 1, max: 36_500 }),
    /** How often the retention job runs (on one replica at a time); its first run is a minute after start-up. */
    retentionIntervalMs: read.int('RETENTION_INTERVAL_MS', 3_600_000, { min: 1000, max: 604_800_000 }),
  };
}

export const databaseConfig = registerAs('database', () => parseDatabaseConfig(process.env));
export type DatabaseConfig = ReturnType<typeof parseDatabaseConfig>;
