import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { bootTestApp, type TestApp } from '../helpers/test-app.js';
import type { TestDatabase } from '../helpers/test-database.js';
import { buildRegistration, registerUser, type TestUser } from './user.factory.js';

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
 * A server with one admin, made through `ADMIN_EMAILS`: the account is an admin from its registration. The other
 * way a deployment makes its first one, `user:admin` on a stopped server, has its own suite
 * (user-admin-command.e2e-spec); here it cost every suite with an admin a second server start (the embedded PGlite
 * opens in one process at a time, so the server was restarted around the command), 7-10 s of CPU each.
 */
export async function bootWithAdmin(env: Record<string, string> = {}): Promise<{ api: TestApp; admin: TestUser }> {
  const email = buildRegistration().email;
  const api = await bootTestApp({ ...env, ADMIN_EMAILS: email });
  return { api, admin: await registerUser(api, { email }) };
}
