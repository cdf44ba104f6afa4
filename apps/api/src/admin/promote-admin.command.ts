import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { DataSource } from 'typeorm';
import { parseDatabaseConfig } from '@app/common';
import { AuditEventEntity, AuditEventsRepository, buildDataSourceOptions, UserEntity, UsersRepository } from '@app/persistence';
import { SYSTEM_ACTOR } from '../audit/audit-actions.js';
import { AuditService } from '../audit/audit.service.js';

/**
 * `npm run user:admin -- --email someone@example.com`: makes an existing account an admin, for the first admin of a
 * deployment (or one that has locked itself out). Uses the server's own database settings (DATABASE_URL, else the
 * embedded PGlite, which only one process can open: stop the server first). Exits 1 when there is no such account.
 */
const USAGE = 'Usage: npm run user:admin -- --email <address of an existing account>';

async function promote(email: string): Promise<number> {
  const dataSource = new DataSource(await buildDataSourceOptions({ ...parseDatabaseConfig(process.env), migrationsRun: false }));
  await dataSource.initialize();
  try {
    const users = new UsersRepository(dataSource.getRepository(UserEntity));
    const user = await users.findByEmail(email);
    if (!user) {
      console.error(`No account with the e-mail ${email}: register or sign in first, then run this again.`);
      return 1;
    }
    if (user.role === 'admin') {
      console.log(`${user.email} is already an admin.`);
      return 0;
    }
    const change = await users.setRole(user.id, 'admin');
    if (change.outcome !== 'done') throw new Error(`Could not promote ${user.email}: ${change.outcome}`);
    const audit = new AuditService(new AuditEventsRepository(dataSource.getRepository(AuditEventEntity)));
    await audit.record({ actor: SYSTEM_ACTOR, action: 'user.role_changed', target: user.id, detail: { from: change.result.previousRole, to: 'admin', via: 'command line' } });
    // Running servers re-read the account within their account-state cache's lifetime (seconds).
    console.log(`${user.email} is now an admin${user.disabledAt ? ' (the account is disabled: enable it to sign in)' : ''}.`);
    return 0;
  } finally {
    await dataSource.destroy();
  }
}

function emailArgument(): string | null {
  try {
    return parseArgs({ options: { email: { type: 'string' } }, strict: true, allowPositionals: false }).values.email?.trim() || null;
  } catch {
    return null;
  }
}

const email = emailArgument();
if (email) {
  process.exitCode = await promote(email);
} else {
  console.error(USAGE);
  process.exitCode = 2;
}
