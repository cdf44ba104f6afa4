import { tsImport } from 'tsx/esm/api';

export default async function globalTeardown() {
  const { removeDatabaseTemplates } = await tsImport('./helpers/test-database.ts', import.meta.url);
  await removeDatabaseTemplates();
}
