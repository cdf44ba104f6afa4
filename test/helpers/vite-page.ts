import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

// Vite runs in a Node process of its own: Rolldown's native binding refuses options made in Jest's module sandbox.
const VITE_BUILD = `
import { build } from 'vite';
const [root, outDir] = process.argv.slice(1);
await build({
  root,
  configFile: false,
  logLevel: 'warn',
  // React's automatic JSX runtime, which @vitejs/plugin-react would configure: JSX without importing React.
  oxc: { jsx: { runtime: 'automatic' } },
  build: { outDir, emptyOutDir: true, minify: false },
});
`;

/**
 * Builds the page whose index.html is in `root` with Vite and returns its files by URL path, as startPageServer
 * serves them: a portal built as its users build theirs, against the installed packages.
 */
export async function buildPage(root: string): Promise<Record<string, string>> {
  const outDir = await mkdtemp(join(tmpdir(), 'page-'));
  try {
    await promisify(execFile)(process.execPath, ['--input-type=module', '-e', VITE_BUILD, resolve(root), outDir], { cwd: process.cwd() });
    const files: Record<string, string> = {};
    for (const path of await readdir(outDir, { recursive: true, withFileTypes: true })) {
      if (!path.isFile()) continue;
      const full = join(path.parentPath, path.name);
      files[`/${full.slice(outDir.length + 1)}`] = await readFile(full, 'utf8');
    }
    files['/'] = files['/index.html']!;
    return files;
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}
