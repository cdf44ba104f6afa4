import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { type FakeLlmServer, startFakeLlm } from '../apps/fake-llm/src/fake-llm.server.js';
import { configureFakeProvider, FAKE_UPSTREAM_ENV } from './factories/provider.factory.js';
import { registerUser, type TestUser } from './factories/user.factory.js';
import { eventually } from './helpers/eventually.js';
import { OwnRedis, REDIS_SERVER } from './helpers/redis-server.js';
import { readStream, type SseEvent, type StreamResult } from './helpers/sse-client.js';
import { describeWith, POSTGRES } from './helpers/suite-requirements.js';
import { bootTestApp, type TestApp } from './helpers/test-app.js';

/**
 * Redis taken away under a running server: each suite starts a Redis of its own and kills it (never the shared
 * one), so it needs only the `redis-server` binary. The killed-replica suite also needs a database two
 * processes can share: it runs in the PostgreSQL pass of CI (TEST_DATABASE_URL).
 */
const withOwnRedis = describeWith(REDIS_SERVER);
const withSharedDatabase = describeWith(REDIS_SERVER, POSTGRES);

/** Long enough to catch a request that waits for Redis (ioredis's retries took 3-8 s); not a speed target. */
const FAST_MS = 2_500;
const SLOW = 'fake:deltas=400,delay=25'; // 10 s: still running whatever the test does meanwhile
const messageCount = (events: SseEvent[]) => events.filter((event) => event.event === 'message').length;

/** The answer, and how long it took. */
async function timed<T>(request: () => PromiseLike<T>): Promise<{ result: T; ms: number }> {
  const started = Date.now();
  const result = await request();
  return { result, ms: Date.now() - started };
}

withOwnRedis('a Redis outage (e2e)', () => {
  let redis: OwnRedis;
  let fake: FakeLlmServer;
  let app: TestApp;
  let user: TestUser;
  let sessionId: string;

  const send = (body: Record<string, unknown>, until?: (event: SseEvent, events: SseEvent[]) => boolean) =>
    readStream(`${app.url}/api/chat/stream`, { token: user.token, body: { provider: 'openai', ...body }, until });
  const follow = () => readStream(`${app.url}/api/chat/sessions/${sessionId}/stream`, { method: 'GET', token: user.token });

  beforeAll(async () => {
    redis = await OwnRedis.start();
    fake = await startFakeLlm({ port: 0 });
    app = await bootTestApp({ ...FAKE_UPSTREAM_ENV, REDIS_URL: redis.url });
    user = await registerUser(app);
    await configureFakeProvider(app, user, 'openai', fake.url);
    const first = await send({ message: 'hello', model: 'fake:deltas=2' });
    expect(first.status).toBe(200);
    sessionId = first.events[0]!.data.sessionId;
  });
  afterAll(async () => {
    await app?.close();
    await fake?.close();
    await redis?.kill();
  });

  it('routes that do not need Redis keep working, those that do answer 503 DEPENDENCY_UNAVAILABLE at once; all works again once it is back', async () => {
    await redis.kill();
    await eventually(() => app.http().get('/api/health/ready').expect(503));

    const statuses: number[] = [];
    const fast = async <T extends { status: number }>(request: () => PromiseLike<T>): Promise<T> => {
      const { result, ms } = await timed(request);
      statuses.push(result.status);
      expect(ms).toBeLessThan(FAST_MS);
      return result;
    };
    await fast(() => app.http().get('/api/chat/sessions').set(user.auth).expect(200));
    await fast(() => app.http().get('/api/auth/me').set(user.auth).expect(200));
    await fast(() => app.http().post('/api/auth/login').send({ email: user.email, password: user.password }).expect(200));
    await fast(() => app.http().get(`/api/chat/sessions/${sessionId}/messages`).set(user.auth).expect(200));

    const refused: StreamResult[] = [
      await fast(() => send({ message: 'in the same session', sessionId, model: 'fake:deltas=2' })),
      await fast(() => send({ message: 'in a new session', model: 'fake:deltas=2' })),
      await fast(() => follow()),
    ];
    for (const answer of refused) {
      expect(answer.status).toBe(503);
      expect(answer.body).toEqual(expect.objectContaining({ statusCode: 503, code: 'DEPENDENCY_UNAVAILABLE' }));
    }
    const stop = await fast(() => app.http().post(`/api/chat/sessions/${sessionId}/stop`).set(user.auth));
    expect(stop.status).toBe(503);
    expect(stop.body).toEqual(expect.objectContaining({ code: 'DEPENDENCY_UNAVAILABLE' }));
    expect(statuses.filter((status) => status >= 500 && status !== 503)).toEqual([]);
    // The new session's turn was refused before anything was written.
    expect((await app.http().get('/api/chat/sessions').set(user.auth).expect(200)).body.sessions).toHaveLength(1);
    expect(app.output()).toContain('throttling limits are counted by each replica');

    await redis.restart();
    await eventually(() => app.http().get('/api/health/ready').expect(200), 10_000);
    const again = await send({ message: 'back again', sessionId, model: 'fake:deltas=3' });
    expect(again.status).toBe(200);
    expect(again.events.at(-1)!.event).toBe('done');
    const followed = await follow();
    expect(followed.status).toBe(200);
    expect(followed.events.at(-1)!.event).toBe('done');
    expect((await app.http().post(`/api/chat/sessions/${sessionId}/stop`).set(user.auth).expect(200)).body).toEqual({ stopped: false });
  });

  it('a follower of a running reply gets `error` resume_unavailable and its stream ends when Redis goes; the reply is still saved', async () => {
    fake.reset();
    const started = await send({ message: 'a long one', sessionId, model: SLOW, detach: true }, (_, events) => messageCount(events) === 2);
    const { messageId } = started.events[0]!.data;
    let followed = 0;
    const following = readStream(`${app.url}/api/chat/sessions/${sessionId}/stream`, {
      method: 'GET',
      token: user.token,
      until: (event) => {
        if (event.event === 'message') followed++;
        return false; // read to the end
      },
    });
    await eventually(() => expect(followed).toBeGreaterThan(3));

    await redis.kill();
    const { result: ended, ms } = await timed(() => following);
    expect(ms).toBeLessThan(FAST_MS);
    const last = ended.events.at(-1)!;
    expect(last).toEqual(expect.objectContaining({ event: 'error', data: expect.objectContaining({ code: 'resume_unavailable', messageId }) }));
    // Its id is the last event the follower got, so an EventSource resumes from there.
    expect(last.id).toBe(ended.events.at(-2)!.id);
    expect(ended.events.filter((event) => event.event === 'done')).toEqual([]);

    // The replica running it does not need Redis to finish and save it.
    await eventually(async () => {
      const { messages } = (await app.http().get(`/api/chat/sessions/${sessionId}/messages`).set(user.auth).expect(200)).body;
      expect(messages.find((message: { id: string }) => message.id === messageId)).toEqual(expect.objectContaining({ status: 'complete' }));
    }, 20_000);
    await redis.restart();
  });
});

withSharedDatabase('a replica killed mid-reply, with Redis (e2e)', () => {
  const LEASE_MS = 3_000;
  let redis: OwnRedis;
  let fake: FakeLlmServer;
  let a: TestApp;
  let b: TestApp;
  let user: TestUser;
  let env: Record<string, string>;

  const send = (replica: TestApp, body: Record<string, unknown>, until?: (event: SseEvent, events: SseEvent[]) => boolean) =>
    readStream(`${replica.url}/api/chat/stream`, { token: user.token, body: { provider: 'openai', ...body }, until });
  /** A detached reply running on A, a few deltas in. */
  const runningOnA = async (sessionId?: string) => {
    const started = await send(a, { message: 'a long one', model: SLOW, detach: true, ...(sessionId && { sessionId }) }, (_, events) => messageCount(events) === 2);
    return started.events[0]!.data as { sessionId: string; messageId: string };
  };
  /** SIGKILL: no shutdown, nothing released or saved. */
  const killA = async () => {
    await a.stop('SIGKILL');
    await a.close({ dropDatabase: false });
  };

  beforeAll(async () => {
    redis = await OwnRedis.start();
    fake = await startFakeLlm({ port: 0 });
    env = { ...FAKE_UPSTREAM_ENV, REDIS_URL: redis.url, GENERATION_LEASE_MS: String(LEASE_MS) };
    a = await bootTestApp(env);
    b = await bootTestApp(env, a.db);
    user = await registerUser(a);
    await configureFakeProvider(a, user, 'openai', fake.url);
  });
  afterAll(async () => {
    await b?.close({ dropDatabase: false });
    await a?.close();
    await fake?.close();
    await redis?.kill();
  });

  it('its sessions are free again within seconds of its death: the lease is no longer renewed', async () => {
    const { sessionId } = await runningOnA();
    await new Promise((resolve) => setTimeout(resolve, LEASE_MS)); // past one lease: A has renewed it
    expect((await send(b, { message: 'while A runs it', sessionId, model: 'fake:deltas=2' })).status).toBe(409);

    await killA();
    const killedAt = Date.now();
    expect((await send(b, { message: 'right after', sessionId, model: 'fake:deltas=2' })).status).toBe(409);
    await eventually(async () => expect((await send(b, { message: 'once the lease is over', sessionId, model: 'fake:deltas=2' })).status).toBe(200), LEASE_MS + 3_000, 250);
    expect(Date.now() - killedAt).toBeLessThan(LEASE_MS + 3_000);

    a = await bootTestApp(env, b.db); // the same database and Redis
    const onRestarted = await send(a, { message: 'on the restarted replica', sessionId, model: 'fake:deltas=2' });
    expect(onRestarted.status).toBe(200);
    expect(onRestarted.events.at(-1)!.event).toBe('done');
  });

  it('stop on a session whose replica died answers stopped, saves the reply aborted, and frees the session at once', async () => {
    const { sessionId, messageId } = await runningOnA();
    await killA();
    const follower = readStream(`${b.url}/api/chat/sessions/${sessionId}/stream`, { method: 'GET', token: user.token });

    const { result: stop, ms } = await timed(() => b.http().post(`/api/chat/sessions/${sessionId}/stop`).set(user.auth));
    expect(stop.status).toBe(200);
    expect(stop.body).toEqual({ stopped: true });
    expect(ms).toBeLessThan(FAST_MS);
    const { messages } = (await b.http().get(`/api/chat/sessions/${sessionId}/messages`).set(user.auth).expect(200)).body;
    expect(messages.find((message: { id: string }) => message.id === messageId)).toEqual(expect.objectContaining({ status: 'aborted', errorCode: 'interrupted' }));
    // A follower waiting for the dead replica's events ends as the row says.
    expect((await follower).events.at(-1)).toEqual(expect.objectContaining({ event: 'error', data: expect.objectContaining({ code: 'interrupted', messageId }) }));

    const next = await send(b, { message: 'at once', sessionId, model: 'fake:deltas=2' });
    expect(next.status).toBe(200);
    expect(next.events.at(-1)!.event).toBe('done');
    expect((await b.http().post(`/api/chat/sessions/${sessionId}/stop`).set(user.auth).expect(200)).body).toEqual({ stopped: false });

    a = await bootTestApp(env, b.db); // for afterAll, and to show the restarted replica serves the session
    expect((await send(a, { message: 'on the restarted replica', sessionId, model: 'fake:deltas=2' })).status).toBe(200);
  });
});
