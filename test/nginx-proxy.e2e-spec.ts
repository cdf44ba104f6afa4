import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import request from 'supertest';
import { type FakeLlmServer, replyText, startFakeLlm } from '../apps/fake-llm/src/fake-llm.server.js';
import { configureFakeProvider, FAKE_UPSTREAM_ENV } from './factories/provider.factory.js';
import { registerUser, type TestUser } from './factories/user.factory.js';
import { eventually } from './helpers/eventually.js';
import { NGINX, TestNginx } from './helpers/nginx.js';
import { readStream, type SseEvent } from './helpers/sse-client.js';
import { describeWith, POSTGRES, REDIS } from './helpers/suite-requirements.js';
import { bootTestApp, type TestApp } from './helpers/test-app.js';

/**
 * The shipped nginx configuration (deploy/nginx), rendered with loopback addresses, run by Debian's nginx in front
 * of two replicas that share PostgreSQL and Redis (with a key prefix of this run's own). Needs all three: CI
 * installs nginx and sets TEST_DATABASE_URL and TEST_REDIS_URL; a fresh machine skips this suite.
 */
const REDIS_URL = process.env.TEST_REDIS_URL;
const throughProxy = describeWith(POSTGRES, REDIS, NGINX);

const messageCount = (events: SseEvent[]) => events.filter((event) => event.event === 'message').length;
const seqOf = (event: SseEvent) => Number(event.id!.split(':')[1]);

throughProxy('two replicas behind the shipped nginx configuration (e2e)', () => {
  const prefix = `test-${randomUUID()}:`;
  let replicas: [TestApp, TestApp];
  let nginx: TestNginx;
  let fake: FakeLlmServer;
  let user: TestUser;
  let redis: Redis;

  /** Through the proxy: an object that looks like a TestApp to the factories. */
  let proxy: TestApp;
  const send = (body: Record<string, unknown>, options: { requestId: string; until?: (event: SseEvent, events: SseEvent[]) => boolean }) =>
    readStream(`${nginx.url}/api/chat/stream`, { token: user.token, body: { provider: 'openai', ...body }, headers: { 'X-Request-Id': options.requestId }, until: options.until });
  /** Which replica served a request: the one whose request log has its id. */
  const servedBy = (requestId: string) =>
    eventually(() => {
      const found = replicas.filter((replica) => replica.output().includes(`"id":"${requestId}"`));
      expect(found).toHaveLength(1);
      return found[0]!;
    });

  beforeAll(async () => {
    fake = await startFakeLlm({ port: 0 });
    const env = { ...FAKE_UPSTREAM_ENV, REDIS_URL: REDIS_URL!, REDIS_KEY_PREFIX: prefix, LOG_LEVEL: 'log', TRUST_PROXY_HOPS: '1' };
    const a = await bootTestApp(env);
    const b = await bootTestApp(env, a.db);
    replicas = [a, b];
    nginx = await TestNginx.start([new URL(a.url).host, new URL(b.url).host]);
    proxy = { url: nginx.url, http: () => request(nginx.url) } as TestApp;
    user = await registerUser(proxy);
    await configureFakeProvider(proxy, user, 'openai', fake.url);
    redis = new Redis(REDIS_URL!);
  });
  afterAll(async () => {
    redis?.disconnect();
    await nginx?.stop();
    await replicas?.[1].close({ dropDatabase: false });
    await replicas?.[0].close();
    await fake?.close();
  });

  it('streams a reply delta by delta: the first delta arrives well before the last', async () => {
    const arrivals: number[] = [];
    const reply = await send({ message: 'paced', model: 'fake:deltas=20,delay=50' }, {
      requestId: `paced-${randomUUID()}`,
      until: (event) => {
        if (event.event === 'message') arrivals.push(Date.now());
        return false;
      },
    });
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toContain('text/event-stream');
    expect(reply.text).toBe(replyText(20));
    expect(arrivals).toHaveLength(20);
    // 19 gaps of 50 ms at the upstream: a buffering proxy would hand them over together at the end.
    expect(arrivals.at(-1)! - arrivals[0]!).toBeGreaterThan(500);
  });

  it('resumes a reply on the other replica, with Last-Event-ID, without a lost or repeated event', async () => {
    const startId = `start-${randomUUID()}`;
    const started = await send({ message: 'long story', model: 'fake:deltas=60,delay=25', detach: true }, { requestId: startId, until: (_, events) => messageCount(events) === 5 });
    const { sessionId, messageId } = started.events[0]!.data;
    const resumeId = `resume-${randomUUID()}`;
    const resumed = await readStream(`${nginx.url}/api/chat/sessions/${sessionId}/stream`, {
      method: 'GET',
      token: user.token,
      headers: { 'Last-Event-ID': started.events.at(-1)!.id!, 'X-Request-Id': resumeId },
    });
    const all = [...started.events, ...resumed.events];
    expect(all.map(seqOf)).toEqual(all.map((_, index) => index + 1));
    expect(started.text + resumed.text).toBe(replyText(60));
    expect(resumed.events.at(-1)).toEqual(expect.objectContaining({ event: 'done', data: expect.objectContaining({ messageId }) }));
    expect(await servedBy(resumeId)).not.toBe(await servedBy(startId));
  });

  it('stops a reply through the proxy, on whichever replica runs it', async () => {
    fake.reset();
    const streamId = `stream-${randomUUID()}`;
    let sessionId: string | undefined;
    const original = send(
      { message: 'go on', model: 'fake:deltas=400,delay=25' },
      {
        requestId: streamId,
        until: (event) => {
          sessionId ??= event.data?.sessionId;
          return false;
        },
      },
    );
    await eventually(() => expect(fake.requests[0]?.deltasWritten ?? 0).toBeGreaterThan(3));
    const stopId = `stop-${randomUUID()}`;
    const stop = await fetch(`${nginx.url}/api/chat/sessions/${sessionId}/stop`, { method: 'POST', headers: { Authorization: `Bearer ${user.token}`, 'X-Request-Id': stopId } });
    expect([stop.status, await stop.json()]).toEqual([200, { stopped: true }]);
    const sent = await original;
    expect(sent.events.at(-1)).toEqual(expect.objectContaining({ event: 'done', data: expect.objectContaining({ stopped: true, reason: 'user' }) }));
    expect(messageCount(sent.events)).toBeLessThan(400);
    // Requests take turns over the replicas: the stop went to the one not running the reply, which told it over Redis.
    expect(await servedBy(stopId)).not.toBe(await servedBy(streamId));
  });

  it("keeps every Redis key and channel of the deployment under its REDIS_KEY_PREFIX", async () => {
    const reply = await send({ message: 'keys', model: 'fake:deltas=3' }, { requestId: `keys-${randomUUID()}` });
    const { sessionId } = reply.events[0]!.data;
    expect(await redis.exists(`${prefix}chat:session:${sessionId}:latest`)).toBe(1);
    expect(await redis.exists(`chat:session:${sessionId}:latest`)).toBe(0);
    // Both replicas hear provider-settings changes on the prefixed channel.
    expect(await redis.pubsub('NUMSUB', `${prefix}providers:changed`)).toEqual([`${prefix}providers:changed`, 2]);
  });

  it('does not forward /metrics', async () => {
    expect((await fetch(`${nginx.url}/metrics`)).status).toBe(404);
  });
});
