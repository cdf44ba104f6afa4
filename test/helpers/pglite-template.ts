import { rmSync } from 'node:fs';
import { bootTestApp } from './test-app.js';
import { emptyPgliteDatabase, PGLITE_TEMPLATE_VARIABLE } from './test-database.js';

/**
 * Once per run of the e2e project, on PGlite: start the built server on an empty data directory, so that it runs
 * initdb and the migrations exactly as in production, and stop it. Every server of the run then starts on a copy
 * (createTestDatabase). Workers inherit the variable.
 */
export async function createPgliteTemplate(): Promise<void> {
  if (process.env.TEST_DATABASE_URL) return;
  const template = emptyPgliteDatabase();
  // initdb and every migration: on a loaded 2-core machine this first start has taken over a minute.
  const app = await bootTestApp({}, template, 180_000);
  await app.close({ dropDatabase: false });
  process.env[PGLITE_TEMPLATE_VARIABLE] = template.env.PGLITE_DATA_DIR;
}

export function removePgliteTemplate(): void {
  const template = process.env[PGLITE_TEMPLATE_VARIABLE];
  if (template) rmSync(template, { recursive: true, force: true });
}
