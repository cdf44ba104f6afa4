import { tsImport } from 'tsx/esm/api';

export default async function globalTeardown() {
  const { removePgliteTemplate } = await tsImport('./helpers/pglite-template.ts', import.meta.url);
  removePgliteTemplate();
}
