import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { runUserAdmin } from './factories/admin.factory.js';
import { registerUser, type TestUser } from './factories/user.factory.js';
import { bootTestApp, type TestApp } from './helpers/test-app.js';

describe('npm run user:admin (e2e)', () => {
  let api: TestApp;
  let user: TestUser;

  beforeAll(async () => {
    const first = await bootTestApp();
    user = await registerUser(first);
    // The command opens the server's database itself; the embedded PGlite takes one process at a time.
    await first.close({ dropDatabase: false });
    api = first;
  });
  // Closing again a server that already stopped only drops its database.
  afterAll(() => api?.close());

  it('refuses to run without an e-mail, or with an option it does not know, and says how to call it', async () => {
    for (const args of [[], ['--mail', user.email], [user.email]]) {
      const result = await runUserAdmin(api.db, args);
      expect({ args, code: result.code, stderr: result.stderr }).toEqual({ args, code: 2, stderr: expect.stringContaining('Usage: npm run user:admin -- --email') });
    }
  });

  it('exits 1 with a clear message when no account has the e-mail, and changes nothing', async () => {
    const result = await runUserAdmin(api.db, ['--email', 'nobody@example.com']);
    expect(result).toEqual({ code: 1, stdout: '', stderr: expect.stringContaining('No account with the e-mail nobody@example.com') });
  });

  it('promotes the account (e-mail in any case), audited as done by the system; a second run changes nothing', async () => {
    const first = await runUserAdmin(api.db, ['--email', user.email.toUpperCase()]);
    expect(first).toEqual({ code: 0, stdout: expect.stringContaining(`${user.email} is now an admin`), stderr: '' });
    const again = await runUserAdmin(api.db, ['--email', user.email]);
    expect(again).toEqual({ code: 0, stdout: expect.stringContaining('is already an admin'), stderr: '' });

    api = await bootTestApp({}, api.db);
    // The token issued before the promotion carries no role: the new one applies at once.
    const audit = await api.http().get('/api/admin/audit').query({ actor: 'system', action: 'user.role_changed' }).set(user.auth).expect(200);
    expect(audit.body.events).toEqual([
      expect.objectContaining({ actor: 'system', action: 'user.role_changed', target: user.id, detail: { from: 'member', to: 'admin', via: 'command line' } }),
    ]);
  });
});
