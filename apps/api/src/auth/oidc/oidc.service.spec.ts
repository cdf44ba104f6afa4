import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { signInAtProvider, TestBrowser, TestOpenIdProvider } from '../../../../../test/helpers/openid-provider.js';
import { bootServices, type ServiceTestbed } from '../../../../../test/helpers/service-testbed.js';
import { OidcModule } from './oidc.module.js';
import { OidcService } from './oidc.service.js';

const REDIRECT_URI = 'http://127.0.0.1:9/api/auth/oidc/callback';
const ORIGIN = { clientAddress: '203.0.113.7', requestId: 'req-1' };

describe('OidcService (PGlite, a real provider on loopback)', () => {
  let idp: TestOpenIdProvider;
  let bed: ServiceTestbed;
  let oidc: OidcService;
  let database: DataSource;

  /** A whole sign-in as the controller drives it: the portal URL the callback answers. */
  async function signIn(subject: string): Promise<URL> {
    const { url, flow } = await oidc.beginLogin();
    const callback = await signInAtProvider(new TestBrowser(), idp, url, subject);
    return new URL(await oidc.completeLogin(flow, callback.searchParams, ORIGIN));
  }
  const newSubject = (groups: string[] = []) => {
    const subject = `user-${randomUUID()}`;
    idp.identities.set(subject, { email: `${subject}@example.com`, emailVerified: true, groups });
    return subject;
  };
  const userOf = async (subject: string) =>
    ((await database.query(`SELECT id, role FROM users WHERE oidc_subject = $1`, [subject])) as { id: string; role: string }[])[0]!;
  const auditOf = (userId: string) => database.query(`SELECT actor, action, detail, client_address AS "clientAddress" FROM audit_events WHERE target = $1 ORDER BY id`, [userId]);

  beforeAll(async () => {
    idp = await TestOpenIdProvider.start({ clientId: 'chat', clientSecret: 'secret', redirectUri: REDIRECT_URI });
    bed = await bootServices([OidcModule], {
      OIDC_ISSUER_URL: idp.issuer,
      OIDC_CLIENT_ID: 'chat',
      OIDC_CLIENT_SECRET: 'secret',
      OIDC_REDIRECT_URI: REDIRECT_URI,
      OIDC_POST_LOGIN_REDIRECT: 'https://portal.example.com/',
      OIDC_SCOPES: 'openid email groups',
      OIDC_ROLES_CLAIM: 'groups',
      OIDC_ADMIN_VALUES: 'admins',
    });
    oidc = bed.module.get(OidcService);
    database = bed.module.get(DataSource);
  });
  afterAll(async () => {
    await bed?.close();
    await idp?.close();
  });

  it('audits the account created at the first sign-in and each role change, by the system', async () => {
    const subject = newSubject();
    expect((await signIn(subject)).searchParams.has('code')).toBe(true);
    const user = await userOf(subject);
    idp.identities.get(subject)!.groups = ['admins'];
    await signIn(subject);
    expect(await auditOf(user.id)).toEqual([
      { actor: user.id, action: 'user.registered', detail: { method: 'oidc', role: 'member' }, clientAddress: ORIGIN.clientAddress },
      { actor: 'system', action: 'user.role_changed', detail: { from: 'member', to: 'admin', source: 'oidc' }, clientAddress: ORIGIN.clientAddress },
    ]);
  });

  it('refuses a disabled account, and a code issued before the account was disabled', async () => {
    const subject = newSubject();
    const code = (await signIn(subject)).searchParams.get('code')!;
    const user = await userOf(subject);
    await database.query(`UPDATE users SET disabled_at = now() WHERE id = $1`, [user.id]);

    await expect(oidc.exchange(code, ORIGIN)).rejects.toMatchObject({ code: 'LOGIN_CODE_INVALID' });
    expect((await signIn(subject)).searchParams.get('error')).toBe('account_disabled');
    expect(await auditOf(user.id)).toContainEqual({ actor: 'system', action: 'auth.login_failed', detail: { method: 'oidc', reason: 'account_disabled' }, clientAddress: ORIGIN.clientAddress });
  });

  it('redeems a code once, even when two redemptions race, and never after it expired', async () => {
    const subject = newSubject();
    const code = (await signIn(subject)).searchParams.get('code')!;
    const outcomes = await Promise.allSettled([oidc.exchange(code, ORIGIN), oidc.exchange(code, ORIGIN)]);
    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(['fulfilled', 'rejected']);

    const late = (await signIn(subject)).searchParams.get('code')!;
    await database.query(`UPDATE login_codes SET expires_at = now() - interval '1 second'`);
    await expect(oidc.exchange(late, ORIGIN)).rejects.toMatchObject({ code: 'LOGIN_CODE_INVALID' });
    // Expired codes are swept when the next one is issued.
    await signIn(subject);
    expect(await database.query(`SELECT count(*)::int AS left FROM login_codes WHERE expires_at < now()`)).toEqual([{ left: 0 }]);
  });
});
