import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { parseDatabaseConfig } from '@app/common';
import { AuditEventEntity, AuditEventsRepository, buildDataSourceOptions, UserEntity, UsersRepository } from '@app/persistence';
import { SYSTEM_ACTOR } from '../audit/audit-actions.js';
import { AuditService } from '../audit/audit.service.js';

/** Makes the account with this e-mail an admin; the exit code of `npm run user:admin`. */
export async function promote(email: string): Promise<number> {
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
