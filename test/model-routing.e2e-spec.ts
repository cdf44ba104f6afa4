import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import OpenAI from 'openai';
import { type FakeLlmServer, replyText, startFakeLlm } from '../apps/fake-llm/src/fake-llm.server.js';
import { bootWithAdmin } from './factories/admin.factory.js';
import { configureFakeProvider, createFakeConnection, FAKE_UPSTREAM_ENV } from './factories/provider.factory.js';
import { registerUser, type TestUser } from './factories/user.factory.js';
import { readStream } from './helpers/sse-client.js';
import type { TestApp } from './helpers/test-app.js';

/**
 * Model governance's routing half through the real HTTP API: policies per role and per user (403 before any
 * event, caps), aliases with weighted targets and fallbacks, retries before the first byte and cooldowns, and the
 * route each reply took (`attempts`), against the fake upstream's fault knobs.
 */
describe('model policies, aliases and fallback (e2e)', () => {
  let api: TestApp;
  let admin: TestUser;
  let fake: FakeLlmServer;

  beforeAll(async () => {
    fake = await startFakeLlm({ port: 0 });
    ({ api, admin } = await bootWithAdmin({ ...FAKE_UPSTREAM_ENV, UPSTREAM_FIRST_TOKEN_TIMEOUT_MS: '2000' }));
  });
  afterAll(async () => {
    await api?.close();
    await fake?.close();
  });
  beforeEach(() => fake.reset());

  /** A member with the fake upstream as their OpenAI and Anthropic: every test its own, so cooldowns stay its own. */
  async function member(): Promise<TestUser> {
    const user = await registerUser(api);
    await configureFakeProvider(api, user, 'openai', fake.url);
    await configureFakeProvider(api, user, 'anthropic', fake.url);
    return user;
  }
  const putAlias = (name: string, body: object) => api.http().put(`/api/admin/aliases/${name}`).set(admin.auth).send(body);
  const stream = (user: TestUser, body: object) => readStream(`${api.url}/api/chat/stream`, { token: user.token, body: { message: 'Hello', ...body } });
  const savedReply = async (user: TestUser, sessionId: string) =>
    (await api.http().get(`/api/chat/sessions/${sessionId}/messages`).set(user.auth).expect(200)).body.messages.at(-1);

  describe('aliases and fallback', () => {
    it('first target 500: the fallback answers, one clean stream, one saved reply, two upstream calls', async () => {
      const name = `fast-${randomUUID().slice(0, 8)}`;
      await putAlias(name, { targets: [{ provider: 'openai', model: 'fake:fail=500' }], fallbacks: [{ provider: 'anthropic', model: 'fake:deltas=3' }] }).expect(200);
      const user = await member();
      const result = await stream(user, { provider: 'alias', model: name });
      expect(result.status).toBe(200);
      expect(result.events.map((event) => event.event)).toEqual(['session', 'message', 'message', 'message', 'done']);
      expect(result.text).toBe(replyText(3));
      expect(fake.requests.map((request) => [request.provider, request.model])).toEqual([
        ['openai', 'fake:fail=500'],
        ['anthropic', 'fake:deltas=3'],
      ]);
      const attempts = [
        { provider: 'openai', connection: null, model: 'fake:fail=500', status: 'failed', code: 'upstream_error', ms: expect.any(Number) },
        { provider: 'anthropic', connection: null, model: 'fake:deltas=3', status: 'ok', ms: expect.any(Number) },
      ];
      expect(result.events.at(-1)!.data.attempts).toEqual(attempts);
      const { sessionId } = result.events[0]!.data;
      const messages = (await api.http().get(`/api/chat/sessions/${sessionId}/messages`).set(user.auth).expect(200)).body.messages;
      expect(messages.map((message: { role: string }) => message.role)).toEqual(['user', 'assistant']);
      expect(messages[1]).toMatchObject({ status: 'complete', content: replyText(3), provider: 'anthropic', model: 'fake:deltas=3', attempts });
      // The session keeps asking for the alias: its next turn is routed again.
      const session = (await api.http().get(`/api/chat/sessions/${sessionId}`).set(user.auth).expect(200)).body;
      expect(session).toMatchObject({ provider: 'alias', model: name });
    });

    it('a 429 with Retry-After on the only target is asked again after the wait', async () => {
      const model = `fake:fail=429,retry=1,times=1,deltas=2,id=${randomUUID()}`;
      const name = `retry-${randomUUID().slice(0, 8)}`;
      await putAlias(name, { targets: [{ provider: 'openai', model }] }).expect(200);
      const result = await stream(await member(), { provider: 'alias', model: name });
      expect(result.text).toBe(replyText(2));
      expect(fake.requests.map((request) => request.model)).toEqual([model, model]);
      expect(result.events.at(-1)!.data.attempts.map((attempt: { status: string; code?: string }) => [attempt.status, attempt.code])).toEqual([
        ['failed', 'upstream_rate_limited'],
        ['ok', undefined],
      ]);
    });

    it('no first token in time (UPSTREAM_FIRST_TOKEN_TIMEOUT_MS): the next target answers', async () => {
      const name = `silent-${randomUUID().slice(0, 8)}`;
      await putAlias(name, { targets: [{ provider: 'openai', model: 'fake:hang=1' }], fallbacks: [{ provider: 'anthropic', model: 'fake:deltas=2' }] }).expect(200);
      const result = await stream(await member(), { provider: 'alias', model: name });
      expect(result.text).toBe(replyText(2));
      expect(result.events.at(-1)!.data.attempts.map((attempt: { status: string; code?: string }) => [attempt.status, attempt.code])).toEqual([
        ['failed', 'upstream_timeout'],
        ['ok', undefined],
      ]);
      // The silent request was given up on (closed) before the next one was made.
      expect(fake.requests[0]!.closedEarly).toBe(true);
    });

    it('a break after the first delta does not fall back: the error event and the partial reply', async () => {
      const name = `break-${randomUUID().slice(0, 8)}`;
      await putAlias(name, { targets: [{ provider: 'openai', model: 'fake:delay=50,break=1' }], fallbacks: [{ provider: 'anthropic', model: 'fake:deltas=3' }] }).expect(200);
      const user = await member();
      const result = await stream(user, { provider: 'alias', model: name });
      expect(result.events.at(-1)).toMatchObject({ event: 'error' });
      expect(result.text).toBe(replyText(1));
      expect(fake.requests).toHaveLength(1);
      expect(await savedReply(user, result.events[0]!.data.sessionId)).toMatchObject({ status: 'error', content: replyText(1) });
    });

    it('a connection that failed cools down: the next reply skips it', async () => {
      const name = `cool-${randomUUID().slice(0, 8)}`;
      await putAlias(name, { targets: [{ provider: 'openai', model: 'fake:fail=503' }], fallbacks: [{ provider: 'anthropic', model: 'fake:deltas=2' }] }).expect(200);
      const user = await member();
      expect((await stream(user, { provider: 'alias', model: name })).text).toBe(replyText(2));
      expect(fake.requests).toHaveLength(2);
      fake.reset();
      const second = await stream(user, { provider: 'alias', model: name });
      expect(second.text).toBe(replyText(2));
      expect(fake.requests.map((request) => request.provider)).toEqual(['anthropic']);
      expect(second.events.at(-1)!.data.attempts.map((attempt: { status: string; code?: string }) => [attempt.status, attempt.code])).toEqual([
        ['skipped', 'cooling_down'],
        ['ok', undefined],
      ]);
    });

    it("over the organisation's connections: a failed connection cools down for every user it serves", async () => {
      const [first, second] = [await createFakeConnection(api, admin, 'openai', fake.url), await createFakeConnection(api, admin, 'anthropic', fake.url)];
      const name = `org-${randomUUID().slice(0, 8)}`;
      await putAlias(name, { targets: [{ connection: first, model: 'fake:fail=500' }], fallbacks: [{ connection: second, model: 'fake:deltas=2' }] }).expect(200);
      // Users without keys of their own: the alias's connections serve them.
      const [one, other] = [await registerUser(api), await registerUser(api)];
      const answered = await stream(one, { provider: 'alias', model: name });
      expect(answered.text).toBe(replyText(2));
      expect(answered.events.at(-1)!.data.attempts).toEqual([
        { provider: 'openai', connection: first, model: 'fake:fail=500', status: 'failed', code: 'upstream_error', ms: expect.any(Number) },
        { provider: 'anthropic', connection: second, model: 'fake:deltas=2', status: 'ok', ms: expect.any(Number) },
      ]);
      expect(fake.requests.map((request) => request.headers['authorization'] ?? request.headers['x-api-key'])).toEqual(['Bearer sk-org-key-0001', 'sk-org-key-0001']);
      fake.reset();
      const skipped = await stream(other, { provider: 'alias', model: name });
      expect(skipped.text).toBe(replyText(2));
      expect(fake.requests.map((request) => request.provider)).toEqual(['anthropic']);
      expect(skipped.events.at(-1)!.data.attempts[0]).toMatchObject({ connection: first, status: 'skipped', code: 'cooling_down' });
    });

    it('/v1 clients ask for the alias by its bare name', async () => {
      const name = `v1-${randomUUID().slice(0, 8)}`;
      await putAlias(name, { targets: [{ provider: 'openai', model: 'fake:fail=500' }], fallbacks: [{ provider: 'anthropic', model: 'fake:deltas=4' }] }).expect(200);
      const user = await member();
      const key = (await api.http().post('/api/keys').set(user.auth).send({ name: 'sdk' }).expect(201)).body.key;
      const client = new OpenAI({ apiKey: key, baseURL: `${api.url}/v1`, maxRetries: 0 });
      const completion = await client.chat.completions.create({ model: name, messages: [{ role: 'user', content: 'Hi' }] });
      expect(completion.choices[0]!.message.content).toBe(replyText(4));
      expect((await client.models.list()).data.map((model) => model.id)).toContain(name);
    });

    it('an unknown alias is 404 before any event', async () => {
      const result = await stream(await member(), { provider: 'alias', model: 'no-such-alias' });
      expect(result).toMatchObject({ status: 404, events: [], body: { code: 'ALIAS_NOT_FOUND' } });
    });

    it('administrators manage aliases, audited; targets name a connection or a provider', async () => {
      const name = `crud-${randomUUID().slice(0, 8)}`;
      const saved = await putAlias(name, { targets: [{ provider: 'openai', model: 'gpt-4o-mini', weight: 3 }, { provider: 'anthropic', model: 'claude-sonnet-4-5' }] }).expect(200);
      expect(saved.body).toMatchObject({ name, targets: [{ provider: 'openai', model: 'gpt-4o-mini', weight: 3 }, { provider: 'anthropic', model: 'claude-sonnet-4-5' }], fallbacks: [] });
      expect((await api.http().get('/api/admin/aliases').set(admin.auth).expect(200)).body.aliases.map((alias: { name: string }) => alias.name)).toContain(name);
      await putAlias(name, { targets: [{ provider: 'openai', connection: 'x', model: 'm' }] }).expect(400);
      await putAlias(name, { targets: [] }).expect(400);
      await putAlias('has/slash', { targets: [{ provider: 'openai', model: 'm' }] }).expect(404);
      await api.http().delete(`/api/admin/aliases/${name}`).set(admin.auth).expect(200);
      await api.http().get(`/api/admin/aliases/${name}`).set(admin.auth).expect(404);
      const audit = (await api.http().get('/api/admin/audit?action=model_alias.saved').set(admin.auth).expect(200)).body.events;
      expect(audit.some((event: { target: string }) => event.target === name)).toBe(true);
    });
  });

  describe('model access', () => {
    it("a user's override: a refused model is 403 model_not_allowed before any event, on the chat stream and /v1", async () => {
      const user = await member();
      await api.http().put(`/api/admin/users/${user.id}/policy`).set(admin.auth).send({ models: ['anthropic/*'] }).expect(200);
      const refused = await stream(user, { provider: 'openai', model: 'fake:deltas=2' });
      expect(refused).toMatchObject({ status: 403, events: [], body: { statusCode: 403, code: 'MODEL_NOT_ALLOWED' } });
      expect((await stream(user, { provider: 'anthropic', model: 'fake:deltas=2' })).text).toBe(replyText(2));

      const key = (await api.http().post('/api/keys').set(user.auth).send({ name: 'sdk' }).expect(201)).body.key;
      const client = new OpenAI({ apiKey: key, baseURL: `${api.url}/v1`, maxRetries: 0 });
      const failure = await client.chat.completions.create({ model: 'openai/fake:deltas=2', messages: [{ role: 'user', content: 'Hi' }], stream: true }).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(OpenAI.APIError);
      expect(failure).toMatchObject({ status: 403, code: 'model_not_allowed' });
      const anthropic = await api.http().post('/v1/messages').set('x-api-key', key).send({ model: 'openai/fake', max_tokens: 10, messages: [{ role: 'user', content: 'Hi' }] });
      expect(anthropic.status).toBe(403);
      expect(anthropic.body).toMatchObject({ type: 'error', error: { type: 'permission_error' } });
      expect(fake.requests.map((request) => request.provider)).toEqual(['anthropic']);

      const models = (await client.models.list()).data.map((model) => model.id);
      expect(models.length).toBeGreaterThan(0);
      expect(models.every((id) => id.startsWith('anthropic/'))).toBe(true);
      const providers = (await api.http().get('/api/providers').set(user.auth).expect(200)).body.providers;
      expect(providers.find((provider: { id: string }) => provider.id === 'openai').models).toEqual([]);

      await api.http().delete(`/api/admin/users/${user.id}/policy`).set(admin.auth).expect(200);
      expect((await stream(user, { provider: 'openai', model: 'fake:deltas=1' })).text).toBe(replyText(1));
    });

    it("caps: the output tokens and the temperature are clamped into the policy's limits", async () => {
      const user = await member();
      await api.http().put(`/api/admin/users/${user.id}/policy`).set(admin.auth).send({ maxOutputTokens: 50, minTemperature: 0.1, maxTemperature: 0.5 }).expect(200);
      await stream(user, { provider: 'openai', model: 'fake:deltas=1', temperature: 1.5 });
      expect(fake.requests[0]!.body).toMatchObject({ max_tokens: 50, temperature: 0.5 });
      const key = (await api.http().post('/api/keys').set(user.auth).send({ name: 'sdk' }).expect(201)).body.key;
      const client = new OpenAI({ apiKey: key, baseURL: `${api.url}/v1`, maxRetries: 0 });
      await client.chat.completions.create({ model: 'openai/fake:deltas=1', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 20, temperature: 0 });
      expect(fake.requests[1]!.body).toMatchObject({ max_tokens: 20, temperature: 0.1 });
    });

    it('a role policy applies to its members, an alias allowed by name; admins list and remove it', async () => {
      const user = await member();
      const name = `allowed-${randomUUID().slice(0, 8)}`;
      await putAlias(name, { targets: [{ provider: 'openai', model: 'fake:deltas=2' }] }).expect(200);
      const saved = await api.http().put('/api/admin/policies/member').set(admin.auth).send({ models: [`alias/${name}`] }).expect(200);
      expect(saved.body).toMatchObject({ models: [`alias/${name}`], maxOutputTokens: null });
      try {
        expect((await stream(user, { provider: 'openai', model: 'fake:deltas=2' })).status).toBe(403);
        // The alias is the grant: its targets need no pattern of their own.
        expect((await stream(user, { provider: 'alias', model: name })).text).toBe(replyText(2));
        // Admins have no policy: everything, as without policies.
        await configureFakeProvider(api, admin, 'openai', fake.url);
        expect((await stream(admin, { provider: 'openai', model: 'fake:deltas=1' })).status).toBe(200);
        const listed = (await api.http().get('/api/admin/policies').set(admin.auth).expect(200)).body.policies;
        expect(listed).toEqual([
          { role: 'admin', policy: null },
          { role: 'member', policy: expect.objectContaining({ models: [`alias/${name}`] }) },
        ]);
      } finally {
        await api.http().delete('/api/admin/policies/member').set(admin.auth).expect(200);
      }
      expect((await stream(user, { provider: 'openai', model: 'fake:deltas=1' })).status).toBe(200);
      await api.http().delete('/api/admin/policies/member').set(admin.auth).expect(404);
    });

    it('refuses members and bad input', async () => {
      const user = await member();
      await api.http().get('/api/admin/policies').set(user.auth).expect(403);
      await api.http().put('/api/admin/policies/member').set(user.auth).send({}).expect(403);
      await api.http().put('/api/admin/policies/owner').set(admin.auth).send({}).expect(400);
      await api.http().put('/api/admin/policies/member').set(admin.auth).send({ models: ['{a,b}'] }).expect(400);
      await api.http().put('/api/admin/policies/member').set(admin.auth).send({ minTemperature: 1, maxTemperature: 0.5 }).expect(400);
      await api.http().put(`/api/admin/users/${randomUUID()}/policy`).set(admin.auth).send({}).expect(404);
    });
  });
});
