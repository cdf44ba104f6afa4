import { tsImport } from 'tsx/esm/api';

// Jest loads global set-up without the projects' module mapping (`.js` imports of `.ts` files): tsx runs the helper.
export default async function globalSetup() {
  const { createDatabaseTemplates } = await tsImport('./helpers/database-templates.ts', import.meta.url);
  await createDatabaseTemplates();
}
