import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { type FakeLlmServer, startFakeLlm } from '../apps/fake-llm/src/fake-llm.server.js';
import { bootWithAdmin } from './factories/admin.factory.js';
import { configureFakeProvider, FAKE_UPSTREAM_ENV } from './factories/provider.factory.js';
import { registerUser, type TestUser } from './factories/user.factory.js';
import { eventually } from './helpers/eventually.js';
import { readStream } from './helpers/sse-client.js';
import { describeWith, POSTGRES } from './helpers/suite-requirements.js';
import type { TestApp } from './helpers/test-app.js';

describe('administering accounts (e2e)', () => {
  let api: TestApp;
  let fake: FakeLlmServer;
  let admin: TestUser;

  const promote = (user: TestUser) => api.http().patch(`/api/admin/users/${user.id}/role`).set(admin.auth).send({ role: 'admin' }).expect(200);
  const auditOf = async (query: Record<string, string>) => (await api.http().get('/api/admin/audit').query(query).set(admin.auth).expect(200)).body.events;

  beforeAll(async () => {
    fake = await startFakeLlm({ port: 0 });
    ({ api, admin } = await bootWithAdmin(FAKE_UPSTREAM_ENV));
  });
  afterAll(async () => {
    await api?.close();
    await fake?.close();
  });

  describe('listing', () => {
    const tag = randomUUID().slice(0, 8);
    let people: TestUser[];

    beforeAll(async () => {
      // Display names with LIKE's wildcards and its escape character in them, each of which must match only itself.
      people = [];
      for (const displayName of [`${tag} 100% sure`, `${tag} snake_case`, `${tag} back\\slash`, `${tag} plain`, `${tag} Mixed CASE`]) {
        people.push(await registerUser(api, { displayName }));
      }
    });

    it('shows accounts without secrets: no password hash, no token version', async () => {
      const { body } = await api.http().get(`/api/admin/users/${people[0]!.id}`).set(admin.auth).expect(200);
      expect(body).toEqual({
        id: people[0]!.id,
        email: people[0]!.email,
        displayName: `${tag} 100% sure`,
        role: 'member',
        disabledAt: null,
        sso: false,
        password: true,
        createdAt: expect.any(String),
      });
    });

    it('searches e-mail and display name literally and regardless of case: %, _ and \\ match only themselves', async () => {
      const names = async (search: string) =>
        (await api.http().get('/api/admin/users').query({ search, limit: 100 }).set(admin.auth).expect(200)).body.users.map((user: { displayName: string }) => user.displayName).sort();
      expect(await names(tag)).toHaveLength(5);
      expect(await names(`${tag} 100%`)).toEqual([`${tag} 100% sure`]);
      expect(await names(`${tag} %`)).toEqual([]);
      expect(await names('_case')).toEqual([`${tag} snake_case`]);
      expect(await names(`${tag} _`)).toEqual([]);
      expect(await names('k\\s')).toEqual([`${tag} back\\slash`]);
      expect(await names(`${tag} mixed case`)).toEqual([`${tag} Mixed CASE`]);
      expect(await names(people[3]!.email.toUpperCase())).toEqual([`${tag} plain`]);
    });

    it('filters by role and pages newest first with a cursor, every account once', async () => {
      const admins = (await api.http().get('/api/admin/users').query({ role: 'admin' }).set(admin.auth).expect(200)).body.users;
      expect(admins.map((user: { id: string }) => user.id)).toContain(admin.id);
      expect(admins.every((user: { role: string }) => user.role === 'admin')).toBe(true);

      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const query = { search: tag, limit: 2, ...(cursor && { cursor }) };
        const { body } = await api.http().get('/api/admin/users').query(query).set(admin.auth).expect(200);
        expect(body.users.length).toBeLessThanOrEqual(2);
        seen.push(...body.users.map((user: { id: string }) => user.id));
        cursor = body.nextCursor ?? undefined;
      } while (cursor);
      expect(seen).toEqual(people.map((person) => person.id).reverse());
    });

    it('refuses bad queries with 400: unknown role, limit out of range, a forged cursor, an empty or long search', async () => {
      for (const query of [{ role: 'root' }, { limit: '0' }, { limit: '101' }, { cursor: 'bm90IGEgY3Vyc29y' }, { cursor: 'a b' }, { search: '' }, { search: 'x'.repeat(101) }, { extra: '1' }]) {
        const response = await api.http().get('/api/admin/users').query(query).set(admin.auth);
        expect([query, response.status, response.body.statusCode]).toEqual([query, 400, 400]);
      }
      await api.http().get('/api/admin/users/not-a-uuid').set(admin.auth).expect(400);
      const missing = await api.http().get(`/api/admin/users/${randomUUID()}`).set(admin.auth).expect(404);
      expect(missing.body.code).toBe('USER_NOT_FOUND');
    });
  });

  describe('roles', () => {
    it('applies a promotion and a demotion from the very next request, and audits both with the admin as actor', async () => {
      const user = await registerUser(api);
      await api.http().get('/api/admin/users').set(user.auth).expect(403);
      const promoted = await promote(user);
      expect(promoted.body).toEqual(expect.objectContaining({ id: user.id, role: 'admin' }));
      await api.http().get('/api/admin/users').set(user.auth).expect(200);
      await api.http().patch(`/api/admin/users/${user.id}/role`).set(admin.auth).send({ role: 'member' }).expect(200);
      await api.http().get('/api/admin/users').set(user.auth).expect(403);

      const events = await auditOf({ action: 'user.role_changed', actor: admin.id });
      expect(events.filter((event: { target: string }) => event.target === user.id).map((event: { detail: object }) => event.detail)).toEqual([
        { from: 'admin', to: 'member' },
        { from: 'member', to: 'admin' },
      ]);
    });

    it('refuses a role that does not exist, or a body with more in it', async () => {
      const user = await registerUser(api);
      for (const body of [{ role: 'root' }, {}, { role: 'admin', isAdmin: true }, { role: ['admin'] }]) {
        const response = await api.http().patch(`/api/admin/users/${user.id}/role`).set(admin.auth).send(body);
        expect([body, response.status]).toEqual([body, 400]);
      }
    });
  });

  describe('the last admin', () => {
    it('cannot be demoted, disabled or deleted, even by themselves: 409 LAST_ADMIN', async () => {
      // Admins from earlier tests are demoted again, so the first admin is the only one.
      const admins = (await api.http().get('/api/admin/users').query({ role: 'admin', limit: 100 }).set(admin.auth).expect(200)).body.users;
      for (const other of admins.filter((user: { id: string }) => user.id !== admin.id)) {
        await api.http().patch(`/api/admin/users/${other.id}/role`).set(admin.auth).send({ role: 'member' }).expect(200);
      }
      const attempts = [
        api.http().patch(`/api/admin/users/${admin.id}/role`).send({ role: 'member' }),
        api.http().post(`/api/admin/users/${admin.id}/disable`),
        api.http().delete(`/api/admin/users/${admin.id}`),
      ];
      for (const attempt of attempts) {
        const response = await attempt.set(admin.auth);
        expect([response.status, response.body.code]).toEqual([409, 'LAST_ADMIN']);
      }
      const self = await api.http().get(`/api/admin/users/${admin.id}`).set(admin.auth).expect(200);
      expect(self.body).toEqual(expect.objectContaining({ role: 'admin', disabledAt: null }));
    });

    it('two admins demoting each other at the same moment leave exactly one admin', async () => {
      for (let round = 0; round < 5; round++) {
        const first = await registerUser(api);
        const second = await registerUser(api);
        await promote(first);
        await promote(second);
        // The first admin steps back, so these two are the only enabled admins.
        await api.http().patch(`/api/admin/users/${admin.id}/role`).set(first.auth).send({ role: 'member' }).expect(200);
        const [a, b] = await Promise.all([
          api.http().patch(`/api/admin/users/${second.id}/role`).set(first.auth).send({ role: 'member' }),
          api.http().patch(`/api/admin/users/${first.id}/role`).set(second.auth).send({ role: 'member' }),
        ]);
        // One demotion went through; the other was refused, either as the last admin or because its caller had just lost the role.
        expect([round, [a.status, b.status].filter((status) => status === 200)]).toEqual([round, [200]]);
        const survivor = a.status === 200 ? first : second;
        const admins = (await api.http().get('/api/admin/users').query({ role: 'admin', limit: 100 }).set(survivor.auth).expect(200)).body.users;
        expect([round, admins.map((user: { id: string }) => user.id)]).toEqual([round, [survivor.id]]);
        // Back to the first admin alone for the next round.
        await api.http().patch(`/api/admin/users/${admin.id}/role`).set(survivor.auth).send({ role: 'admin' }).expect(200);
        await api.http().patch(`/api/admin/users/${survivor.id}/role`).set(admin.auth).send({ role: 'member' }).expect(200);
      }
    });

    it('two admins disabling each other at the same moment leave exactly one enabled admin', async () => {
      const first = await registerUser(api);
      const second = await registerUser(api);
      await promote(first);
      await promote(second);
      await api.http().patch(`/api/admin/users/${admin.id}/role`).set(first.auth).send({ role: 'member' }).expect(200);
      const [a, b] = await Promise.all([
        api.http().post(`/api/admin/users/${second.id}/disable`).set(first.auth),
        api.http().post(`/api/admin/users/${first.id}/disable`).set(second.auth),
      ]);
      expect([a.status, b.status].filter((status) => status === 200)).toEqual([200]);
      const survivor = a.status === 200 ? first : second;
      const admins = (await api.http().get('/api/admin/users').query({ role: 'admin', limit: 100 }).set(survivor.auth).expect(200)).body.users;
      expect(admins.filter((user: { disabledAt: string | null }) => user.disabledAt === null).map((user: { id: string }) => user.id)).toEqual([survivor.id]);
      await api.http().patch(`/api/admin/users/${admin.id}/role`).set(survivor.auth).send({ role: 'admin' }).expect(200);
    });
  });

  describe('disabling, enabling and deleting', () => {
    it("disabling refuses the user's token and API key at once, ends their live reply, and is audited", async () => {
      const user = await registerUser(api);
      await configureFakeProvider(api, user, 'openai', fake.url);
      const apiKey = (await api.http().post('/api/keys').set(user.auth).send({ name: 'leaver' }).expect(201)).body.key as string;
      await api.http().get('/v1/models').set('Authorization', `Bearer ${apiKey}`).expect(200);
      const calls = fake.requests.length;
      const live = readStream(`${api.url}/api/chat/stream`, { token: user.token, body: { message: 'a long answer please', provider: 'openai', model: 'fake:deltas=1000,delay=20' } });
      await eventually(() => expect(fake.requests.length).toBeGreaterThan(calls), 15_000);

      const disabled = await api.http().post(`/api/admin/users/${user.id}/disable`).set(admin.auth).expect(200);
      expect(disabled.body).toEqual(expect.objectContaining({ id: user.id, disabledAt: expect.any(String) }));
      await api.http().get('/api/auth/me').set(user.auth).expect(401);
      await api.http().get('/v1/models').set('Authorization', `Bearer ${apiKey}`).expect(401);
      const stream = await live;
      expect(stream.events.at(-1)).toEqual(expect.objectContaining({ event: 'error', data: expect.objectContaining({ code: 'session_revoked' }) }));
      // Signing in again does not give a usable token while the account is disabled.
      const login = await api.http().post('/api/auth/login').send({ email: user.email, password: user.password });
      if (login.status === 200) await api.http().get('/api/auth/me').set('Authorization', `Bearer ${login.body.accessToken}`).expect(401);

      const events = await auditOf({ action: 'user.disabled', actor: admin.id });
      expect(events[0]).toEqual(expect.objectContaining({ target: user.id, clientAddress: expect.any(String), requestId: expect.any(String) }));
    });

    it('enabling lets the user sign in again (their old token stays revoked; their deleted API keys stay deleted)', async () => {
      const user = await registerUser(api);
      const apiKey = (await api.http().post('/api/keys').set(user.auth).send({ name: 'before' }).expect(201)).body.key as string;
      await api.http().post(`/api/admin/users/${user.id}/disable`).set(admin.auth).expect(200);
      // Disabling twice changes nothing more.
      await api.http().post(`/api/admin/users/${user.id}/disable`).set(admin.auth).expect(200);
      const enabled = await api.http().post(`/api/admin/users/${user.id}/enable`).set(admin.auth).expect(200);
      expect(enabled.body).toEqual(expect.objectContaining({ id: user.id, disabledAt: null }));
      await api.http().get('/api/auth/me').set(user.auth).expect(401);
      const login = await api.http().post('/api/auth/login').send({ email: user.email, password: user.password }).expect(200);
      await api.http().get('/api/auth/me').set('Authorization', `Bearer ${login.body.accessToken}`).expect(200);
      await api.http().get('/v1/models').set('Authorization', `Bearer ${apiKey}`).expect(401);
      expect((await api.http().get('/api/keys').set('Authorization', `Bearer ${login.body.accessToken}`).expect(200)).body.keys).toEqual([]);
      expect((await auditOf({ action: 'user.enabled' }))[0]).toEqual(expect.objectContaining({ actor: admin.id, target: user.id }));
    });

    it('deleting removes the account and what it owns, refuses its token at once, and leaves the audit trail', async () => {
      const user = await registerUser(api);
      await api.http().post('/api/keys').set(user.auth).send({ name: 'gone' }).expect(201);
      const deleted = await api.http().delete(`/api/admin/users/${user.id}`).set(admin.auth).expect(200);
      expect(deleted.body).toEqual({ id: user.id, deleted: true });
      await api.http().get('/api/auth/me').set(user.auth).expect(401);
      await api.http().get(`/api/admin/users/${user.id}`).set(admin.auth).expect(404);
      await api.http().delete(`/api/admin/users/${user.id}`).set(admin.auth).expect(404);
      // The user's own events outlive the account.
      expect((await auditOf({ actor: user.id })).map((event: { action: string }) => event.action)).toEqual(['api_key.created', 'user.registered']);
      expect((await auditOf({ action: 'user.deleted' }))[0]).toEqual(expect.objectContaining({ actor: admin.id, target: user.id }));
    });
  });
});

/** Holding a row lock from outside the server needs a second connection to its database: the PostgreSQL pass. */
describeWith(POSTGRES)('the last admin under a concurrent change (e2e)', () => {
  let api: TestApp;
  let admin: TestUser;
  let db: pg.Client;

  beforeAll(async () => {
    ({ api, admin } = await bootWithAdmin());
    db = new pg.Client({ connectionString: api.db.env.DATABASE_URL });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    await api?.close();
  });

  it("counts the admins again after a concurrent demotion commits, instead of trusting what it read before", async () => {
    const other = await registerUser(api);
    await api.http().patch(`/api/admin/users/${other.id}/role`).set(admin.auth).send({ role: 'admin' }).expect(200);
    // Another transaction demotes the other admin and has not committed yet: at this moment two admins exist.
    await db.query('BEGIN');
    await db.query(`UPDATE users SET role = 'member' WHERE id = $1`, [other.id]);
    const demotion = api.http().patch(`/api/admin/users/${admin.id}/role`).set(admin.auth).send({ role: 'member' }).then((response) => response);
    const database = new URL(api.db.env.DATABASE_URL!).pathname.slice(1);
    // The server's change waits on the other admin's row...
    await eventually(async () => {
      const { rows } = await db.query(`SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'`, [database]);
      expect(rows[0].waiting).toBe(1);
    }, 15_000);
    // ...and, once the other demotion commits, finds itself the last admin.
    await db.query('COMMIT');
    const response = await demotion;
    expect([response.status, response.body.code]).toEqual([409, 'LAST_ADMIN']);
    const { rows } = await db.query(`SELECT id FROM users WHERE role = 'admin' AND disabled_at IS NULL`);
    expect(rows).toEqual([{ id: admin.id }]);
  });
});
