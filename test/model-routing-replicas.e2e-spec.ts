import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { type FakeLlmServer, replyText, startFakeLlm } from '../apps/fake-llm/src/fake-llm.server.js';
import { bootWithAdmin } from './factories/admin.factory.js';
import { createFakeConnection, FAKE_UPSTREAM_ENV } from './factories/provider.factory.js';
import { registerUser, type TestUser } from './factories/user.factory.js';
import { readStream } from './helpers/sse-client.js';
import { describeWith, POSTGRES, REDIS } from './helpers/suite-requirements.js';
import { bootTestApp, type TestApp } from './helpers/test-app.js';

/**
 * Fallback on two replicas sharing PostgreSQL and Redis: a connection that failed on one replica is passed over
 * by the other (the cooldown lives in Redis), and an alias saved through one is used by the other at once.
 */
const shared = describeWith(POSTGRES, REDIS);

shared('model aliases and fallback on two replicas with Redis (e2e)', () => {
  let a: TestApp;
  let b: TestApp;
  let admin: TestUser;
  let fake: FakeLlmServer;

  beforeAll(async () => {
    fake = await startFakeLlm({ port: 0 });
    const env = { ...FAKE_UPSTREAM_ENV, REDIS_URL: process.env.TEST_REDIS_URL!, REDIS_KEY_PREFIX: `routing-${randomUUID()}:` };
    ({ api: a, admin } = await bootWithAdmin(env));
    b = await bootTestApp(env, a.db);
  });
  afterAll(async () => {
    await b?.close({ dropDatabase: false });
    await a?.close();
    await fake?.close();
  });

  it('first target 500 on replica A: the fallback answers; replica B then skips that connection', async () => {
    const [failing, answering] = [await createFakeConnection(a, admin, 'openai', fake.url), await createFakeConnection(a, admin, 'anthropic', fake.url)];
    await a
      .http()
      .put('/api/admin/aliases/fast')
      .set(admin.auth)
      .send({ targets: [{ connection: failing, model: 'fake:fail=500' }], fallbacks: [{ connection: answering, model: 'fake:deltas=3' }] })
      .expect(200);
    const user = await registerUser(a);
    const send = (replica: TestApp) => readStream(`${replica.url}/api/chat/stream`, { token: user.token, body: { provider: 'alias', model: 'fast', message: 'Hello' } });

    const first = await send(a);
    expect(first.events.map((event) => event.event)).toEqual(['session', 'message', 'message', 'message', 'done']);
    expect(first.text).toBe(replyText(3));
    expect(fake.requests.map((request) => request.provider)).toEqual(['openai', 'anthropic']);

    fake.reset();
    const second = await send(b);
    expect(second.text).toBe(replyText(3));
    expect(fake.requests.map((request) => request.provider)).toEqual(['anthropic']);
    expect(second.events.at(-1)!.data.attempts.map((attempt: { connection: string; status: string }) => [attempt.connection, attempt.status])).toEqual([
      [failing, 'skipped'],
      [answering, 'ok'],
    ]);
    const saved = (await b.http().get(`/api/chat/sessions/${second.events[0]!.data.sessionId}/messages`).set(user.auth).expect(200)).body.messages.at(-1);
    expect(saved).toMatchObject({ status: 'complete', provider: 'anthropic', model: 'fake:deltas=3', attempts: [{ connection: failing, status: 'skipped' }, { connection: answering, status: 'ok' }] });
  });
});
