import { afterAll, beforeAll, expect, it } from '@jest/globals';
import pg from 'pg';
import { type FakeLlmServer, replyText, startFakeLlm } from '../apps/fake-llm/src/fake-llm.server.js';
import { configureFakeProvider, FAKE_UPSTREAM_ENV } from './factories/provider.factory.js';
import { registerUser, type TestUser } from './factories/user.factory.js';
import { eventually } from './helpers/eventually.js';
import { readStream, type SseEvent } from './helpers/sse-client.js';
import { describeWith, POSTGRES, REDIS } from './helpers/suite-requirements.js';
import { bootTestApp, type TestApp } from './helpers/test-app.js';

/**
 * Two replicas behind an imaginary load balancer, sharing the real PostgreSQL and Redis. Needs both: CI sets
 * TEST_DATABASE_URL and TEST_REDIS_URL; a fresh machine without them skips this suite.
 */
const REDIS_URL = process.env.TEST_REDIS_URL;
const shared = describeWith(POSTGRES, REDIS);

const SLOW = 'fake:deltas=60,delay=25';
const ADMIN = 'replica-admin@example.com';
const PRICE = { currency: 'USD', inputPerMillion: '1.00', outputPerMillion: '2.00', cachedInputPerMillion: '0.50', reasoningPerMillion: '4.00', effectiveFrom: '2026-01-01T00:00:00Z' };
const messageCount = (events: SseEvent[]) => events.filter((event) => event.event === 'message').length;
const seqOf = (event: SseEvent) => Number(event.id!.split(':')[1]);

shared('two replicas on PostgreSQL and Redis (e2e)', () => {
  let a: TestApp;
  let b: TestApp;
  let fake: FakeLlmServer;
  let user: TestUser;
  let admin: TestUser;

  const send = (replica: TestApp, who: TestUser, body: Record<string, unknown>, until?: (event: SseEvent, events: SseEvent[]) => boolean) =>
    readStream(`${replica.url}/api/chat/stream`, { token: who.token, body: { provider: 'openai', ...body }, until });
  const messagesOf = async (replica: TestApp, sessionId: string) =>
    (await replica.http().get(`/api/chat/sessions/${sessionId}/messages`).set(user.auth).expect(200)).body.messages as any[];

  beforeAll(async () => {
    fake = await startFakeLlm({ port: 0 });
    const env = { ...FAKE_UPSTREAM_ENV, REDIS_URL: REDIS_URL!, THROTTLE_STREAM_LIMIT: '20', ADMIN_EMAILS: ADMIN };
    a = await bootTestApp(env);
    b = await bootTestApp(env, a.db);
    user = await registerUser(a);
    await configureFakeProvider(b, user, 'openai', fake.url);
  });
  afterAll(async () => {
    await b?.close({ dropDatabase: false });
    await a?.close();
    await fake?.close();
  });

  it('both replicas are ready, Redis included', async () => {
    for (const replica of [a, b]) {
      const ready = await replica.http().get('/api/health/ready').expect(200);
      expect(ready.body.info).toEqual(expect.objectContaining({ database: expect.any(Object), redis: { status: 'up' } }));
    }
  });

  it('a reply started on A resumes on B with Last-Event-ID, without a lost or repeated event', async () => {
    const started = await send(a, user, { message: 'long story', model: SLOW, detach: true }, (_, events) => messageCount(events) === 5);
    const { sessionId, messageId } = started.events[0]!.data;
    const resumed = await readStream(`${b.url}/api/chat/sessions/${sessionId}/stream`, {
      method: 'GET',
      token: user.token,
      headers: { 'Last-Event-ID': started.events.at(-1)!.id! },
    });
    const all = [...started.events, ...resumed.events];
    expect(all.map(seqOf)).toEqual(all.map((_, index) => index + 1));
    expect(started.text + resumed.text).toBe(replyText(60));
    expect(resumed.events.at(-1)).toEqual(expect.objectContaining({ event: 'done', data: expect.objectContaining({ messageId }) }));
    await eventually(async () => expect((await messagesOf(b, sessionId)).at(-1)).toEqual(expect.objectContaining({ status: 'complete', content: replyText(60) })));
  });

  it('refuses a second reply in the same session on the other replica with 409', async () => {
    const started = await send(a, user, { message: 'busy', model: SLOW, detach: true }, (_, events) => messageCount(events) === 2);
    const { sessionId } = started.events[0]!.data;
    const conflict = await send(b, user, { message: 'me too', sessionId });
    expect(conflict.status).toBe(409);
    await b.http().post(`/api/chat/sessions/${sessionId}/stop`).set(user.auth).expect(200);
  });

  it("B finds a session A has just announced, while A's turn is still being written", async () => {
    // Holds A's write of the new session (an INSERT waits for a SHARE lock) but not B's reads of it.
    const lock = new pg.Client({ connectionString: a.db.env.DATABASE_URL });
    await lock.connect();
    try {
      await lock.query('BEGIN');
      await lock.query('LOCK TABLE chat_sessions IN SHARE MODE');
      const started = await send(a, user, { message: 'announced', model: SLOW, detach: true }, (event) => event.event === 'session');
      const { sessionId } = started.events[0]!.data;
      const token = b.http().post(`/api/chat/sessions/${sessionId}/stream-token`).set(user.auth).then((response) => response);
      const messages = b.http().get(`/api/chat/sessions/${sessionId}/messages`).set(user.auth).then((response) => response);
      const stranger = await registerUser(b);
      // Another user is answered at once, and not told the session exists.
      const asked = performance.now();
      await b.http().get(`/api/chat/sessions/${sessionId}/messages`).set(stranger.auth).expect(404);
      expect(performance.now() - asked).toBeLessThan(2_000);
      await lock.query('COMMIT');
      expect((await token).status).toBe(200);
      expect((await messages).status).toBe(200);
      expect((await messages).body.messages[0]).toEqual(expect.objectContaining({ role: 'user', content: 'announced' }));
      await b.http().post(`/api/chat/sessions/${sessionId}/stop`).set(user.auth).expect(200);
    } finally {
      await lock.end();
    }
  });

  it("B's session list shows a reply running on A as generating, until it is stopped", async () => {
    const started = await send(a, user, { message: 'still going', model: SLOW, detach: true }, (_, events) => messageCount(events) === 2);
    const { sessionId } = started.events[0]!.data;
    const listedOn = async (replica: TestApp) =>
      (await replica.http().get('/api/chat/sessions?limit=100').set(user.auth).expect(200)).body.sessions.find((session: { id: string }) => session.id === sessionId);
    expect(await listedOn(b)).toEqual(expect.objectContaining({ isGenerating: true, lastMessagePreview: 'still going' }));
    await b.http().post(`/api/chat/sessions/${sessionId}/stop`).set(user.auth).expect(200);
    await eventually(async () => expect((await listedOn(b)).isGenerating).toBe(false));
    expect((await listedOn(a)).isGenerating).toBe(false);
  });

  it('a stop on B ends the generation running on A, and A saves the partial reply', async () => {
    fake.reset();
    const original = send(a, user, { message: 'go on', model: SLOW });
    await eventually(() => expect(fake.requests[0]?.deltasWritten ?? 0).toBeGreaterThan(3));
    const sessionId = (await b.http().get('/api/chat/sessions?limit=1').set(user.auth).expect(200)).body.sessions[0].id;

    expect((await b.http().post(`/api/chat/sessions/${sessionId}/stop`).set(user.auth).expect(200)).body).toEqual({ stopped: true });
    const sent = await original;
    expect(sent.events.at(-1)).toEqual(expect.objectContaining({ event: 'done', data: expect.objectContaining({ stopped: true, reason: 'user' }) }));
    await fake.requests[0]!.closed;
    expect(fake.requests[0]!.closedEarly).toBe(true);
    expect((await messagesOf(b, sessionId)).at(-1)).toEqual(expect.objectContaining({ status: 'aborted', errorCode: 'stopped', content: sent.text }));
    expect((await b.http().post(`/api/chat/sessions/${sessionId}/stop`).set(user.auth).expect(200)).body).toEqual({ stopped: false });
  });

  it('holds the stream limit across replicas: 21 requests spread over A and B, the 21st is 429', async () => {
    const limited = await registerUser(b);
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++) {
      const result = await readStream(`${(i % 2 === 0 ? a : b).url}/api/chat/stream`, { token: limited.token, body: { message: `hi ${i}`, provider: 'echo' } });
      statuses.push(result.status);
      if (result.status === 429) expect(Number(result.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    expect(statuses).toEqual([...Array<number>(20).fill(200), 429]);
  });

  it('a key changed or deleted on A is what B uses next, though B keeps settings in memory', async () => {
    const owner = await registerUser(a);
    const keyOfLastCall = () => fake.requests.at(-1)!.headers.authorization;
    await configureFakeProvider(a, owner, 'openai', fake.url, { apiKey: 'sk-first-key-of-this-test-0001' });
    expect((await send(b, owner, { message: 'one', model: 'fake:deltas=2' })).status).toBe(200);
    expect(keyOfLastCall()).toBe('Bearer sk-first-key-of-this-test-0001');

    await configureFakeProvider(a, owner, 'openai', fake.url, { apiKey: 'sk-second-key-of-this-test-002' });
    await eventually(async () => {
      expect((await send(b, owner, { message: 'two', model: 'fake:deltas=2' })).status).toBe(200);
      expect(keyOfLastCall()).toBe('Bearer sk-second-key-of-this-test-002');
    });

    await a.http().delete('/api/providers/openai').set(owner.auth).expect(200);
    await eventually(async () => expect((await send(b, owner, { message: 'three', model: 'fake:deltas=2' })).status).toBe(400));
  });

  it('a price changed on A is what B charges next, though B keeps prices in memory', async () => {
    admin = await registerUser(a, { email: ADMIN });
    const model = 'replica-priced';
    const created = await a.http().post('/api/admin/prices').set(admin.auth).send({ ...PRICE, provider: 'openai', model }).expect(201);
    // The same question in a new session each time: the same prompt, so the cost moves only with the price.
    const costOnB = async () => {
      const result = await send(b, user, { message: 'what does this cost?', model: `${model}:deltas=2` });
      const reply = (await messagesOf(b, result.events[0]!.data.sessionId)).find((message) => message.role === 'assistant');
      return Number(reply.usage.cost);
    };
    const first = await costOnB();
    expect(first).toBeGreaterThan(0);
    expect(await costOnB()).toBe(first);

    await a.http().put(`/api/admin/prices/${created.body.id}`).set(admin.auth).send({ ...PRICE, effectiveFrom: undefined, inputPerMillion: '100', outputPerMillion: '200' }).expect(200);
    await eventually(async () => expect(await costOnB()).toBeCloseTo(100 * first, 9));
  });

  it("a budget set or removed on A holds on B next, though B keeps the limits in memory: the user's own and the role's", async () => {
    const member = await registerUser(a);
    await configureFakeProvider(b, member, 'openai', fake.url);
    const statusOnB = async () => (await send(b, member, { message: 'within budget?', model: 'fake:deltas=2' })).status;
    expect(await statusOnB()).toBe(200);

    await a.http().put(`/api/admin/users/${member.id}/budget`).set(admin.auth).send({ monthlyLimit: '0' }).expect(200);
    await eventually(async () => expect(await statusOnB()).toBe(402));
    await a.http().delete(`/api/admin/users/${member.id}/budget`).set(admin.auth).expect(200);
    await eventually(async () => expect(await statusOnB()).toBe(200));

    await a.http().put('/api/admin/budgets/member').set(admin.auth).send({ monthlyLimit: '0' }).expect(200);
    await eventually(async () => expect(await statusOnB()).toBe(402));
    await a.http().delete('/api/admin/budgets/member').set(admin.auth).expect(200);
    await eventually(async () => expect(await statusOnB()).toBe(200));
  });
});
