import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import openapiTS, { astToString } from 'openapi-typescript';
import ts from 'typescript';
import { bootTestApp, type TestApp } from './helpers/test-app.js';

/** A client written against the generated types, as a team consuming the API would write one. */
const TYPED_CLIENT = `
import type { components, paths } from './api.js';

type Json<T> = T extends { content: { 'application/json': infer B } } ? B : never;
type Register = paths['/api/auth/register']['post'];
type SessionsList = paths['/api/chat/sessions']['get'];
type ChatStream = paths['/api/chat/stream']['post'];
type Problem = components['schemas']['ErrorResponseDto'];

export async function register(base: string, body: Json<Register['requestBody']>): Promise<Json<Register['responses'][201]>> {
  const response = await fetch(\`\${base}/api/auth/register\`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(describeProblem((await response.json()) as Json<Register['responses'][409]>));
  return (await response.json()) as Json<Register['responses'][201]>;
}

/** Every title, page after page: nextCursor goes back as cursor. */
export async function allTitles(base: string, token: string): Promise<string[]> {
  const titles: string[] = [];
  for (let query: NonNullable<SessionsList['parameters']['query']> = { limit: 50 }; ; ) {
    const search = new URLSearchParams({ limit: String(query.limit) });
    if (query.cursor) search.set('cursor', query.cursor);
    const response = await fetch(\`\${base}/api/chat/sessions?\${search}\`, { headers: { Authorization: \`Bearer \${token}\` } });
    const page = (await response.json()) as Json<SessionsList['responses'][200]>;
    titles.push(...page.sessions.map((session) => session.title));
    if (!page.nextCursor) return titles;
    query = { ...query, cursor: page.nextCursor };
  }
}

export const detachedHello: Json<ChatStream['requestBody']> = { message: 'Hello', provider: 'echo', detach: true };
export const plainHello: Json<ChatStream['requestBody']> = { message: 'Hello' };

export function describeProblem(problem: Problem): string {
  return \`\${problem.statusCode} \${problem.error}: \${problem.message}\${problem.code ? \` (\${problem.code})\` : ''}\`;
}

export async function login(base: string, email: string, password: string): Promise<{ accessToken: string; expiresIn: number; userId: string }> {
  const response = await fetch(\`\${base}/api/auth/login\`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email, password }) });
  const auth = (await response.json()) as Json<Register['responses'][201]>;
  return { accessToken: auth.accessToken, expiresIn: auth.expiresIn, userId: auth.user.id };
}
`;

/** Strict type-check of `file` in `dir` (with the browser's fetch types), as the consuming team's build would do it. */
function typeCheck(dir: string, file: string): string[] {
  const program = ts.createProgram([join(dir, file)], {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2023,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ['lib.es2023.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts'],
    types: [],
  });
  return ts.getPreEmitDiagnostics(program).map((diagnostic) => {
    const where = diagnostic.file ? `${diagnostic.file.fileName.slice(dir.length + 1)}:${diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start ?? 0).line + 1} ` : '';
    return `${where}${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`;
  });
}

describe('TypeScript types generated from /api/docs-json with openapi-typescript (e2e)', () => {
  let api: TestApp;
  let dir: string;

  beforeAll(async () => {
    api = await bootTestApp();
    dir = await mkdtemp(join(tmpdir(), 'openapi-ts-'));
    const document = (await api.http().get('/api/docs-json').expect(200)).body;
    // A default is what the server fills in when the field is absent: the field stays optional for the client.
    await writeFile(join(dir, 'api.ts'), astToString(await openapiTS(document, { defaultNonNullable: false })));
  });
  afterAll(async () => {
    await api?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('gives every nullable property its type (not an empty object)', async () => {
    const generated = await readFile(join(dir, 'api.ts'), 'utf8');
    expect(generated.split('\n').filter((line) => line.includes('Record<string, never> | null'))).toEqual([]);
  });

  it('types a client of register, sessions_list, chat_stream and the error body without a diagnostic (strict)', async () => {
    await writeFile(join(dir, 'client.ts'), TYPED_CLIENT);
    expect(typeCheck(dir, 'client.ts')).toEqual([]);
  });

  it('reports a misuse: a misspelt body field and a string where the limit is a number', async () => {
    await writeFile(
      join(dir, 'misuse.ts'),
      `import type { paths } from './api.js';
export const body: paths['/api/chat/stream']['post']['requestBody']['content']['application/json'] = { mesage: 'Hello' };
export const query: NonNullable<paths['/api/chat/sessions']['get']['parameters']['query']> = { limit: '50' };
`,
    );
    const diagnostics = typeCheck(dir, 'misuse.ts');
    expect(diagnostics).toEqual([expect.stringMatching(/^misuse\.ts:2 .*'mesage'/s), expect.stringMatching(/^misuse\.ts:3 .*'string' is not assignable to type 'number'/s)]);
  });
});
