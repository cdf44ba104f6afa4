import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { bootTestApp, type TestApp } from '../helpers/test-app.js';
import type { TestDatabase } from '../helpers/test-database.js';
import { registerUser, type TestUser } from './user.factory.js';

/** The built `npm run user:admin` command. */
export const USER_ADMIN_JS = resolve('dist/apps/api/apps/api/src/admin/promote-admin.command.js');

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `npm run user:admin -- <args>` as an operator would, against the database of `db`. */
export function runUserAdmin(db: TestDatabase, args: string[]): Promise<CommandResult> {
  const child = spawn(process.execPath, [USER_ADMIN_JS, ...args], { env: { PATH: process.env.PATH, ...db.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((done, fail) => {
    child.once('error', fail);
    child.once('close', (code) => done({ code, stdout, stderr }));
  });
}

/**
 * A server with one admin, made the way a deployment makes its first one: the account registers, then the operator
 * runs `user:admin`. The embedded PGlite database opens in one process at a time, so the server is restarted around
 * the command (on the same database; the admin's token stays valid).
 */
export async function bootWithAdmin(env: Record<string, string> = {}): Promise<{ api: TestApp; admin: TestUser }> {
  const first = await bootTestApp(env);
  const admin = await registerUser(first);
  await first.close({ dropDatabase: false });
  const promoted = await runUserAdmin(first.db, ['--email', admin.email]);
  if (promoted.code !== 0) throw new Error(`user:admin failed (${promoted.code}): ${promoted.stderr}`);
  return { api: await bootTestApp(env, first.db), admin };
}
