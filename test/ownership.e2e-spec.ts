import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { registerUser, type TestUser } from './factories/user.factory.js';
import { readStream } from './helpers/sse-client.js';
import { bootTestApp, type TestApp } from './helpers/test-app.js';

type Method = 'get' | 'put' | 'post' | 'delete' | 'patch';

/** User A's resources, by the kind of id a route takes; a route whose parameter has no entry fails the suite. */
interface Fixture {
  sessionId: string;
  messageId: string;
  keyId: string;
  provider: string;
}

/** Which of A's resources a path parameter names, by route family. */
function ownerValue(path: string, name: string, fixture: Fixture): string | undefined {
  if (name === 'provider') return fixture.provider;
  if (name === 'id' && path.startsWith('/api/keys/')) return fixture.keyId;
  if (name === 'id' && (path.startsWith('/api/chat/sessions/') || path.startsWith('/api/ui/chat/'))) return fixture.sessionId;
  if (name === 'messageId') return fixture.messageId;
  return undefined;
}

/** Routes keyed by the caller, not by a resource id: B acting there touches only B's own data. */
const CALLER_SCOPED = new Set(['put /api/providers/{provider}']);

/** A body that passes validation, so a 404 cannot hide behind a 400. */
const bodies = (fixture: Fixture): Record<string, unknown> => ({
  'put /api/chat/sessions/{id}/title': { title: 'taken over' },
  'put /api/chat/sessions/{id}/branch': { messageId: fixture.messageId },
  'post /api/chat/sessions/{id}/messages/{messageId}/edit': { content: 'taken over' },
});

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
  });

  beforeAll(async () => {
    api = await bootTestApp();
    alice = await registerUser(api);
    bob = await registerUser(api);
    const stream = await readStream(`${api.url}/api/chat/stream`, { token: alice.token, body: { message: "alice's secret plans", provider: 'echo' } });
    await api.http().put('/api/providers/openai').set(alice.auth).send({ apiKey: 'sk-alice-key-0000' }).expect(200);
    const key = await api.http().post('/api/keys').set(alice.auth).send({ name: "alice's key" }).expect(201);
    const sessionId = stream.events[0]!.data.sessionId;
    const [question] = (await api.http().get(`/api/chat/sessions/${sessionId}/messages`).set(alice.auth).expect(200)).body.messages;
    fixture = { sessionId, messageId: question.id, keyId: key.body.id, provider: 'openai' };
  });
  afterAll(() => api.close());

  it("answers 404 to another user on every route that takes an id, and leaves the owner's data as it was", async () => {
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
        expect([route, response.status]).toEqual([route, 404]);
        expect(response.body).toEqual(expect.objectContaining({ statusCode: 404, error: 'Not Found', message: expect.any(String) }));
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
        'post /api/chat/sessions/{id}/messages/{messageId}/edit',
        'get /api/ui/chat/{id}/stream',
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
    const providers = await api.http().get('/api/providers').set(bob.auth).expect(200);
    expect(providers.body.providers.find((p: { id: string }) => p.id === 'openai').configured).toBe(false);
  });
});
