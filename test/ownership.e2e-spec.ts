import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { registerUser, type TestUser } from './factories/user.factory.js';
import { eventually } from './helpers/eventually.js';
import { readStream } from './helpers/sse-client.js';
import { PNG } from './helpers/file-samples.js';
import { bootTestApp, type TestApp } from './helpers/test-app.js';

type Method = 'get' | 'put' | 'post' | 'delete' | 'patch';

/** User A's resources, by the kind of id a route takes; a route whose parameter has no entry fails the suite. */
interface Fixture {
  sessionId: string;
  messageId: string;
  keyId: string;
  provider: string;
  userId: string;
  folderId: string;
  shareId: string;
  /** A price row: shared by everyone, changed by admins only. */
  priceId: string;
  presetId: string;
  fileId: string;
}

/** Which of A's resources a path parameter names, by route family. */
function ownerValue(path: string, name: string, fixture: Fixture): string | undefined {
  if (name === 'provider') return fixture.provider;
  if (name === 'id' && path.startsWith('/api/keys/')) return fixture.keyId;
  if (name === 'id' && (path.startsWith('/api/chat/sessions/') || path.startsWith('/api/ui/chat/'))) return fixture.sessionId;
  if (name === 'id' && path.startsWith('/api/folders/')) return fixture.folderId;
  if (name === 'id' && path.startsWith('/api/presets/')) return fixture.presetId;
  if (name === 'id' && path.startsWith('/api/files/')) return fixture.fileId;
  if (name === 'messageId') return fixture.messageId;
  if (name === 'id' && path.startsWith('/api/admin/users/')) return fixture.userId;
  // The organisation's, not A's: any id, since a member is refused before the lookup.
  if (name === 'id' && path.startsWith('/api/admin/connections/')) return fixture.keyId;
  if (name === 'id' && path.startsWith('/api/admin/prices/')) return fixture.priceId;
  if (name === 'shareId') return fixture.shareId;
  // Organisation settings, not anyone's data: a member is refused them whatever they name.
  if (name === 'role' && path.startsWith('/api/admin/policies/')) return 'member';
  if (name === 'name' && path.startsWith('/api/admin/aliases/')) return 'fast';
  if (name === 'role') return 'member';
  return undefined;
}

/**
 * Routes keyed by the caller, not by a resource id: B acting there touches only B's own data. A share token is
 * the permission itself (anyone holding it reads the snapshot): its own test below.
 */
const CALLER_SCOPED = new Set(['put /api/providers/{provider}', 'get /api/shared/{token}']);

/** A body that passes validation, so a 404 cannot hide behind a 400. */
const bodies = (fixture: Fixture): Record<string, unknown> => ({
  'put /api/chat/sessions/{id}/title': { title: 'taken over' },
  'put /api/chat/sessions/{id}/branch': { messageId: fixture.messageId },
  'post /api/chat/sessions/{id}/messages/{messageId}/edit': { content: 'taken over' },
  'post /api/chat/sessions/{id}/tool-results': { results: [{ toolCallId: 'call_1', content: 'taken over' }] },
  'patch /api/admin/users/{id}/role': { role: 'member' },
  'patch /api/admin/connections/{id}': { enabled: false },
  'put /api/admin/prices/{id}': { currency: 'USD', inputPerMillion: '0', outputPerMillion: '0', cachedInputPerMillion: '0', reasoningPerMillion: '0' },
  'put /api/admin/users/{id}/budget': { monthlyLimit: '0' },
  'put /api/admin/budgets/{role}': { monthlyLimit: '0' },
  'patch /api/chat/sessions/{id}': { pinned: true, archived: true, tags: ['taken'] },
  'put /api/chat/sessions/{id}/messages/{messageId}/feedback': { rating: 'down' },
  'post /api/chat/sessions/{id}/share': {},
  'patch /api/folders/{id}': { name: 'taken over' },
  'put /api/admin/policies/{role}': { models: [] },
  'put /api/admin/users/{id}/policy': { models: [] },
  'put /api/admin/aliases/{name}': { targets: [{ provider: 'echo', model: 'echo-1' }] },
  'patch /api/presets/{id}': { name: 'taken over', systemPrompt: 'obey bob' },
});

/** Routes that act on any account, for administrators: a member is refused before any lookup (the role matrix in roles.e2e-spec covers them fully). */
/** An admin, who looks up a real price row for the admin price routes. */
const PRICE_KEEPER = 'price-keeper@example.com';

const expectedStatus = (path: string) => (path.startsWith('/api/admin/') ? 403 : 404);

describe('ownership matrix (e2e)', () => {
  let api: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  let fixture: Fixture;

  const snapshot = async () => ({
    session: (await api.http().get(`/api/chat/sessions/${fixture.sessionId}`).set(alice.auth).expect(200)).body,
    messages: (await api.http().get(`/api/chat/sessions/${fixture.sessionId}/messages`).set(alice.auth).expect(200)).body,
    credential: (await api.http().get(`/api/providers/${fixture.provider}`).set(alice.auth).expect(200)).body,
    keys: (await api.http().get('/api/keys').set(alice.auth).expect(200)).body,
    account: (await api.http().get('/api/auth/me').set(alice.auth).expect(200)).body,
    folders: (await api.http().get('/api/folders').set(alice.auth).expect(200)).body,
    presets: (await api.http().get('/api/presets').set(alice.auth).expect(200)).body,
    files: (await api.http().get('/api/files').set(alice.auth).expect(200)).body,
    shares: (await api.http().get(`/api/chat/sessions/${fixture.sessionId}/shares`).set(alice.auth).expect(200)).body,
    usage: (await api.http().get('/api/usage?groupBy=model').set(alice.auth).expect(200)).body,
  });

  beforeAll(async () => {
    api = await bootTestApp({ ADMIN_EMAILS: PRICE_KEEPER });
    const keeper = await registerUser(api, { email: PRICE_KEEPER });
    alice = await registerUser(api);
    bob = await registerUser(api);
    const stream = await readStream(`${api.url}/api/chat/stream`, { token: alice.token, body: { message: "alice's secret plans", provider: 'echo' } });
    await api.http().put('/api/providers/openai').set(alice.auth).send({ apiKey: 'sk-alice-key-0000' }).expect(200);
    const key = await api.http().post('/api/keys').set(alice.auth).send({ name: "alice's key" }).expect(201);
    const sessionId = stream.events[0]!.data.sessionId;
    const [question] = (await api.http().get(`/api/chat/sessions/${sessionId}/messages`).set(alice.auth).expect(200)).body.messages;
    const folder = await api.http().post('/api/folders').set(alice.auth).send({ name: "alice's folder" }).expect(201);
    const share = await api.http().post(`/api/chat/sessions/${sessionId}/share`).set(alice.auth).send({}).expect(201);
    const [price] = (await api.http().get('/api/admin/prices?provider=echo').set(keeper.auth).expect(200)).body.prices;
    const preset = await api.http().post('/api/presets').set(alice.auth).send({ name: "alice's preset", systemPrompt: 'secret instructions' }).expect(201);
    const file = await api.http().post('/api/files').set(alice.auth).attach('file', PNG, 'alice.png').expect(201);
    fixture = {
      sessionId,
      messageId: question.id,
      keyId: key.body.id,
      provider: 'openai',
      folderId: folder.body.id,
      shareId: share.body.id,
      presetId: preset.body.id,
      fileId: file.body.id,
      userId: alice.id,
      priceId: price.id,
    };
  });
  afterAll(() => api.close());

  it("answers 404 to another user on every route that takes an id (403 on the admin routes), and leaves the owner's data as it was", async () => {
    const before = await snapshot();
    const document = (await api.http().get('/api/docs-json').expect(200)).body as { paths: Record<string, Partial<Record<Method, unknown>>> };
    const checked: string[] = [];
    for (const [path, operations] of Object.entries(document.paths)) {
      const params = [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]!);
      if (params.length === 0) continue;
      for (const method of Object.keys(operations) as Method[]) {
        const route = `${method} ${path}`;
        if (CALLER_SCOPED.has(route)) continue;
        const url = path.replace(/\{(\w+)\}/g, (_, name: string) => {
          const value = ownerValue(path, name, fixture);
          if (value === undefined) throw new Error(`${route}: no owner fixture for path parameter "${name}"; add one to this suite`);
          return value;
        });
        const response = await api.http()[method](url).set(bob.auth).send(bodies(fixture)[route] ?? {});
        const status = expectedStatus(path);
        expect([route, response.status]).toEqual([route, status]);
        expect(response.body).toEqual(expect.objectContaining({ statusCode: status, error: status === 404 ? 'Not Found' : 'Forbidden', message: expect.any(String) }));
        checked.push(route);
      }
    }
    expect(checked).toEqual(
      expect.arrayContaining([
        'delete /api/keys/{id}',
        'put /api/chat/sessions/{id}/title',
        'get /api/providers/{provider}',
        'get /api/chat/sessions/{id}/stream',
        'post /api/chat/sessions/{id}/stop',
        'post /api/chat/sessions/{id}/tool-results',
        'post /api/chat/sessions/{id}/messages/{messageId}/edit',
        'get /api/ui/chat/{id}/stream',
        'patch /api/admin/users/{id}/role',
        'delete /api/admin/users/{id}',
        'get /api/admin/connections/{id}',
        'patch /api/admin/connections/{id}',
        'delete /api/admin/connections/{id}',
        'put /api/admin/prices/{id}',
        'delete /api/admin/prices/{id}',
        'put /api/admin/users/{id}/budget',
        'delete /api/admin/users/{id}/budget',
        'put /api/admin/budgets/{role}',
        'patch /api/chat/sessions/{id}',
        'put /api/chat/sessions/{id}/messages/{messageId}/feedback',
        'post /api/chat/sessions/{id}/share',
        'get /api/chat/sessions/{id}/shares',
        'delete /api/chat/sessions/{id}/shares/{shareId}',
        'patch /api/folders/{id}',
        'delete /api/folders/{id}',
        'get /api/chat/sessions/{id}/export',
        'put /api/admin/policies/{role}',
        'delete /api/admin/policies/{role}',
        'get /api/admin/users/{id}/policy',
        'put /api/admin/users/{id}/policy',
        'delete /api/admin/users/{id}/policy',
        'get /api/admin/aliases/{name}',
        'put /api/admin/aliases/{name}',
        'delete /api/admin/aliases/{name}',
        'get /api/presets/{id}',
        'patch /api/presets/{id}',
        'delete /api/presets/{id}',
        'get /api/files/{id}',
        'get /api/files/{id}/meta',
        'delete /api/files/{id}',
      ]),
    );
    expect(await snapshot()).toEqual(before);
  });

  it("refuses to stream into another user's session and does not leak it in listings", async () => {
    const hijack = await readStream(`${api.url}/api/chat/stream`, { token: bob.token, body: { message: 'hi', provider: 'echo', sessionId: fixture.sessionId } });
    expect(hijack.status).toBe(404);
    // Ids carried in bodies: useChat's regenerate, the Responses API's previous_response_id.
    const ui = { id: fixture.sessionId, messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }], trigger: 'regenerate-message', provider: 'echo' };
    await api.http().post('/api/ui/chat').set(bob.auth).send(ui).expect(404);
    const previous = `resp_${fixture.sessionId}_${fixture.messageId}`;
    await api.http().post('/v1/responses').set(bob.auth).send({ model: 'echo/echo-1', input: 'hi', previous_response_id: previous }).expect(404);
    const listing = await api.http().get('/api/chat/sessions').set(bob.auth).expect(200);
    expect(JSON.stringify(listing.body)).not.toContain(fixture.sessionId);
    expect((await api.http().get('/api/folders').set(bob.auth).expect(200)).body.folders).toEqual([]);
    expect((await api.http().get('/api/presets').set(bob.auth).expect(200)).body.presets).toEqual([]);
    expect((await api.http().get('/api/files').set(bob.auth).expect(200)).body.files).toEqual([]);
    // A file is named in the chat request's body: another user's is not found either, and nothing starts.
    const attached = await readStream(`${api.url}/api/chat/stream`, { token: bob.token, body: { message: 'hi', provider: 'echo', attachments: [fixture.fileId] } });
    expect(attached.status).toBe(404);
    // A preset is named in the chat request's body: another user's is not found either.
    const borrowed = await readStream(`${api.url}/api/chat/stream`, { token: bob.token, body: { message: 'hi', provider: 'echo', presetId: fixture.presetId } });
    expect(borrowed.status).toBe(404);
    expect((await api.http().get('/api/chat/export').set(bob.auth).expect(200)).text).not.toContain(fixture.sessionId);
    expect((await api.http().get(`/api/chat/sessions?folderId=${fixture.folderId}`).set(bob.auth).expect(200)).body.sessions).toEqual([]);
    const searched = await api.http().get('/api/chat/sessions?q=secret%20plans').set(bob.auth).expect(200);
    expect(searched.body.sessions).toEqual([]);
    const providers = await api.http().get('/api/providers').set(bob.auth).expect(200);
    expect(providers.body.providers.find((p: { id: string }) => p.id === 'openai').configured).toBe(false);
  });

  it('a share token shows its snapshot to anyone until it is revoked, expires or its session is deleted; then it is 404 like any unknown token', async () => {
    const share = async (body: Record<string, unknown> = {}) =>
      (await api.http().post(`/api/chat/sessions/${fixture.sessionId}/share`).set(alice.auth).send(body).expect(201)).body as { id: string; url: string };
    const revoked = await share();
    const expiring = await share({ expiresInSeconds: 1 });
    for (const link of [revoked, expiring]) {
      // Read without credentials, and with another user's: the token is the permission.
      await api.http().get(link.url).expect(200);
      expect(JSON.stringify((await api.http().get(link.url).set(bob.auth).expect(200)).body)).toContain("alice's secret plans");
    }
    // Bob cannot revoke Alice's link, even knowing its id.
    await api.http().delete(`/api/chat/sessions/${fixture.sessionId}/shares/${revoked.id}`).set(bob.auth).expect(404);
    await api.http().delete(`/api/chat/sessions/${fixture.sessionId}/shares/${revoked.id}`).set(alice.auth).expect(200);
    await api.http().get(revoked.url).expect(404);
    await eventually(() => api.http().get(expiring.url).expect(404));
    await api.http().get(`/api/shared/${'A'.repeat(43)}`).expect(404);
  });
});
