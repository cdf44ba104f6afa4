import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { bootWithAdmin } from './factories/admin.factory.js';
import { registerUser, type TestUser } from './factories/user.factory.js';
import type { TestApp } from './helpers/test-app.js';

interface AuditEvent {
  id: string;
  at: string;
  actor: string;
  action: string;
  target: string | null;
  detail: Record<string, unknown> | null;
}

describe('audit log (e2e)', () => {
  let api: TestApp;
  let admin: TestUser;
  let member: TestUser;
  let keyIds: string[];
  let startedAt: Date;
  const providerKey = 'sk-audited-provider-key-7a1b2c3d';

  const list = async (query: Record<string, string | number>): Promise<{ events: AuditEvent[]; nextCursor: string | null }> =>
    (await api.http().get('/api/admin/audit').query(query).set(admin.auth).expect(200)).body;

  beforeAll(async () => {
    ({ api, admin } = await bootWithAdmin());
    startedAt = new Date();
    member = await registerUser(api);
    keyIds = [];
    for (const name of ['one', 'two', 'three']) keyIds.push((await api.http().post('/api/keys').set(member.auth).send({ name }).expect(201)).body.id);
    await api.http().delete(`/api/keys/${keyIds[1]}`).set(member.auth).expect(200);
    await api.http().put('/api/providers/openai').set(member.auth).send({ apiKey: providerKey, defaultModel: 'gpt-4o-mini' }).expect(200);
    await api.http().delete('/api/providers/openai').set(member.auth).expect(200);
  });
  afterAll(() => api?.close());

  it("records what a user did, from registering to their keys and provider settings, newest first, with no secret in it", async () => {
    const { events, nextCursor } = await list({ actor: member.id });
    expect(nextCursor).toBeNull();
    expect(events.map(({ action, target }) => [action, target])).toEqual([
      ['provider.credential_deleted', 'openai'],
      ['provider.credential_saved', 'openai'],
      ['api_key.revoked', keyIds[1]],
      ['api_key.created', keyIds[2]],
      ['api_key.created', keyIds[1]],
      ['api_key.created', keyIds[0]],
      ['user.registered', member.id],
    ]);
    expect(events[1]!.detail).toEqual({ keyChanged: true, baseUrlHost: null, defaultModel: 'gpt-4o-mini' });
    expect(events[5]!.detail).toEqual({ name: 'one', prefix: expect.stringMatching(/^sk-chat-/) });
    expect(events.every((event) => event.actor === member.id)).toBe(true);
    expect(events.map((event) => BigInt(event.id))).toEqual(events.map((event) => BigInt(event.id)).sort((a, b) => (a > b ? -1 : 1)));
    expect(JSON.stringify(events)).not.toContain(providerKey);
    expect(JSON.stringify(events)).not.toContain(providerKey.slice(-4));
  });

  it('filters by action, and by time (from inclusive, to exclusive)', async () => {
    const created = await list({ action: 'api_key.created' });
    expect(created.events.map((event) => event.target)).toEqual([keyIds[2], keyIds[1], keyIds[0]]);
    const all = (await list({ actor: member.id })).events;
    const oldest = all.at(-1)!;
    expect((await list({ actor: member.id, from: oldest.at })).events).toHaveLength(all.length);
    expect((await list({ actor: member.id, to: oldest.at })).events).toEqual([]);
    expect((await list({ actor: member.id, from: startedAt.toISOString().slice(0, 10) })).events).toHaveLength(all.length);
    expect((await list({ actor: member.id, from: new Date(Date.now() + 60_000).toISOString() })).events).toEqual([]);
    expect((await list({ actor: member.id.toUpperCase(), action: 'api_key.revoked' })).events.map((event) => event.target)).toEqual([keyIds[1]]);
  });

  it('pages with the cursor: every event once, in order, and a bounded page', async () => {
    const whole = (await list({ actor: member.id })).events.map((event) => event.id);
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { events: AuditEvent[]; nextCursor: string | null } = await list({ actor: member.id, limit: 4, ...(cursor && { cursor }) });
      expect(page.events.length).toBeLessThanOrEqual(4);
      paged.push(...page.events.map((event) => event.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(paged).toEqual(whole);
  });

  it('refuses bad filters with 400, before any query: unknown action, actor, dates, cursor or limit', async () => {
    const bad = [
      { action: 'auth.nope' },
      { action: '' },
      { actor: 'root' },
      { actor: `${member.id}x` },
      { from: 'yesterday' },
      { from: '2026-W01' },
      { to: '2026-13-01' },
      { to: '1' },
      { cursor: '0' },
      { cursor: '-1' },
      { cursor: '9'.repeat(19) },
      { cursor: 'abc' },
      { limit: 0 },
      { limit: 201 },
      { limit: 'ten' },
      { extra: 'x' },
    ];
    for (const query of bad) {
      const response = await api.http().get('/api/admin/audit').query(query).set(admin.auth);
      expect([query, response.status, response.body.statusCode, typeof response.body.message]).toEqual([query, 400, 400, 'string']);
    }
    expect((await list({ limit: 200 })).events.length).toBeGreaterThan(0);
  });
});
