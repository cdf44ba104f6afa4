import { afterAll, expect, it, jest } from '@jest/globals';
import type { MessageEvent } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import type { Redis } from 'ioredis';
import type { Observable } from 'rxjs';
import type { appConfig } from '@app/common';
import { describeWith, REDIS } from '../../../../../test/helpers/suite-requirements.js';
import { RedisConnectionsService } from '../../redis/redis-connections.service.js';
import { GenerationLog } from '../generation-log.js';
import { GenerationRegistry } from '../generation.registry.js';
import { SHARE_EVERY_MS } from './redis-event-batcher.js';
import { RedisGenerationStore } from './redis-generation.store.js';

/** Needs a real server (TEST_REDIS_URL, as in CI). */
const REDIS_URL = process.env.TEST_REDIS_URL;
const suite = describeWith(REDIS);

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
const delta = (n: number): MessageEvent => ({ type: 'message', data: { content: `d${n}` } });
const done: MessageEvent = { type: 'done', data: { usage: null } };

/** Everything a follower receives until the generation's events end. */
function collect(events: Observable<MessageEvent>): Promise<MessageEvent[]> {
  const received: MessageEvent[] = [];
  return new Promise((resolve, reject) => events.subscribe({ next: (event) => received.push(event), error: reject, complete: () => resolve(received) }));
}

suite('Redis generation store: events shared between replicas', () => {
  const replicas: RedisConnectionsService[] = [];
  const replica = (leaseMs = 60_000) => {
    const connections = new RedisConnectionsService({ redisUrl: REDIS_URL } as ConfigType<typeof appConfig>);
    replicas.push(connections);
    const store = new RedisGenerationStore(connections, new GenerationRegistry(), { retentionMs: 60_000, retentionMaxChars: 1_000_000, maxRunMs: 60_000, leaseMs });
    store.onModuleInit();
    return { connections, store };
  };
  afterAll(() => Promise.all(replicas.map((connections) => connections.onApplicationShutdown())));

  async function running(store: RedisGenerationStore, userId = randomUUID()) {
    const sessionId = randomUUID();
    const generationId = randomUUID();
    expect(await store.claim(sessionId, generationId, userId)).toBe(true);
    const log = new GenerationLog(generationId, sessionId);
    store.publish(log);
    return { sessionId, generationId, log };
  }

  it("tells another replica that a user's turn is about to be written in a session, to that user only, until it is", async () => {
    const a = replica();
    const b = replica();
    const userId = randomUUID();
    const { sessionId, log } = await running(a.store, userId);
    expect(await b.store.writesTurnElsewhere(userId, sessionId)).toBe(true);
    expect(await b.store.writesTurnElsewhere(randomUUID(), sessionId)).toBe(false);
    expect(await b.store.writesTurnElsewhere(userId, randomUUID())).toBe(false);
    // The replica that writes it waits for its own generation instead.
    expect(await a.store.writesTurnElsewhere(userId, sessionId)).toBe(false);
    a.store.turnWritten(sessionId, userId);
    // One connection: the GET goes after the delete. The reply still runs; its turn is written.
    expect(await a.connections.client!.get(`chat:session:${sessionId}:unwritten`)).toBeNull();
    expect(await b.store.writesTurnElsewhere(userId, sessionId)).toBe(false);
    log.end();
  });

  it('shares a burst of events as one entry, and a follower on another replica gets each event after its position once, in order', async () => {
    const a = replica();
    const b = replica();
    const { sessionId, generationId, log } = await running(a.store);
    for (let n = 1; n <= 50; n++) log.append(delta(n));
    await sleep(SHARE_EVERY_MS * 5);
    expect(await a.connections.client!.xlen(`chat:generation:${generationId}:events`)).toBe(1);

    const followed = collect((await b.store.follow(sessionId, { generationId, seq: 10 }))!);
    for (let n = 51; n <= 60; n++) log.append(delta(n));
    log.append(done);
    log.end();
    const received = await followed;
    expect(received.map((event) => event.id)).toEqual(Array.from({ length: 51 }, (_, i) => `${generationId}:${i + 11}`));
    expect(received.at(-2)!.data).toEqual({ content: 'd60' });
    expect(received.at(-1)!.type).toBe('done');
  });

  it('a follower that arrives before the first batch is sent waits for it instead of ending with nothing', async () => {
    const a = replica();
    const b = replica();
    // B's connections are up already, as on a replica in service, so it follows well within the batch delay.
    await b.connections.client!.ping();
    (await b.connections.channels.listen('chat:warm-up', () => undefined))();
    const { sessionId, log } = await running(a.store);
    log.append(delta(1));
    const following = await b.store.follow(sessionId);
    expect(following).not.toBeNull();
    const followed = collect(following!);
    // The follower has read the stream and found it empty, while the first event still waits in its batch.
    await sleep(SHARE_EVERY_MS / 2);
    log.append(done);
    log.end();
    expect((await followed).map((event) => event.type)).toEqual(['message', 'done']);
  });

  it('tells which sessions of a page have a generation running on any replica, in one command', async () => {
    const a = replica();
    const b = replica();
    const { sessionId, log } = await running(a.store);
    const idle = [randomUUID(), randomUUID()];
    const client = b.connections.client!;
    const mget = jest.spyOn(client, 'mget');
    const get = jest.spyOn(client, 'get');
    expect(await b.store.runningAmong([idle[0]!, sessionId, idle[1]!])).toEqual(new Set([sessionId]));
    expect(mget).toHaveBeenCalledTimes(1);
    expect(get).not.toHaveBeenCalled();
    expect(await b.store.runningAmong([])).toEqual(new Set());
    log.append(done);
    log.end();
    await sleep(SHARE_EVERY_MS * 5);
    expect(await b.store.runningAmong([sessionId])).toEqual(new Set());
  });

  it('sends the last events at the end, before the session is free again', async () => {
    const a = replica();
    const { sessionId, generationId, log } = await running(a.store);
    log.append(delta(1));
    log.append(done);
    log.end();
    const redis = a.connections.client!;
    while ((await redis.get(`chat:session:${sessionId}:running`)) !== null) await sleep(1);
    const [[, fields]] = (await redis.xrevrange(`chat:generation:${generationId}:events`, '+', '-', 'COUNT', 1)) as [string, string[]][];
    expect(JSON.parse(fields![1]!)).toEqual([
      { seq: 1, type: 'message', data: { content: 'd1' } },
      { seq: 2, type: 'done', data: { usage: null } },
    ]);
    expect(await a.store.follow(sessionId, { generationId, seq: 2 })).toBeNull();
  });

  it('renews a lease while its generation runs; once its owner is gone, the lease expires and the session is free', async () => {
    const a = replica(1_000);
    const { sessionId, log } = await running(a.store);
    const redis = a.connections.client!;
    await sleep(2_000); // twice the lease
    expect(await redis.pttl(`chat:session:${sessionId}:running`)).toBeGreaterThan(0);
    expect(await redis.pttl(`chat:session:${sessionId}:running`)).toBeLessThanOrEqual(1_000);

    await a.connections.onApplicationShutdown(); // as a killed process: nothing renews the lease any more
    const b = replica(1_000);
    const started = Date.now();
    while (!(await b.store.claim(sessionId, randomUUID(), randomUUID()))) await sleep(50);
    expect(Date.now() - started).toBeLessThan(1_500);
    log.end();
  });

  it('a stop for a generation whose owner is gone has it abandoned, ends its followers and frees the session at once', async () => {
    const a = replica();
    const { sessionId, generationId, log } = await running(a.store);
    await a.connections.onApplicationShutdown();
    const b = replica();
    const followed = collect((await b.store.follow(sessionId))!);
    const abandoned: string[] = [];
    const abandon = async (id: string) => abandoned.push(id) > 0;
    expect(await b.store.stopElsewhere(sessionId, abandon)).toBe(true);
    expect(abandoned).toEqual([generationId]);
    // Its followers end as its row says, instead of waiting for an owner that is gone.
    expect(await followed).toEqual([{ id: `${generationId}:1`, type: 'error', data: expect.objectContaining({ code: 'interrupted', messageId: generationId }) }]);
    expect(await b.store.claim(sessionId, randomUUID(), randomUUID())).toBe(true);
    expect(await b.store.stopElsewhere(randomUUID(), abandon)).toBe(false);
    expect(abandoned).toHaveLength(1);
    log.end();
  });

  it('a follower whose connection to Redis drops gets resume_unavailable, with the id of its last event, and the end', async () => {
    const a = replica();
    const b = replica();
    const { sessionId, generationId, log } = await running(a.store);
    log.append(delta(1));
    const received: MessageEvent[] = [];
    const ended = new Promise<void>((resolve) => (b.store.follow(sessionId).then((events) => events!.subscribe({ next: (event) => received.push(event), complete: resolve }))));
    while (received.length === 0) await sleep(10);
    // Only B's pub/sub connection: other processes on the same Redis keep theirs.
    const { localAddress, localPort } = (b.connections as unknown as { subscriberConnection: Redis }).subscriberConnection.stream as Socket;
    expect(await a.connections.client!.client('KILL', 'ADDR', `${localAddress}:${localPort}`)).toBe(1);
    await ended;
    expect(received.at(-1)).toEqual({ id: `${generationId}:1`, type: 'error', data: expect.objectContaining({ code: 'resume_unavailable', messageId: generationId }) });
    log.end();
  });

  it('a stop after the lease of a dead owner has expired still has its generation abandoned, once', async () => {
    const a = replica(1_000);
    const { sessionId, generationId, log } = await running(a.store);
    await a.connections.onApplicationShutdown();
    const b = replica();
    while ((await b.connections.client!.exists(`chat:session:${sessionId}:running`)) === 1) await sleep(50);
    const abandoned: string[] = [];
    const abandon = async (id: string) => abandoned.push(id) > 0;
    expect(await b.store.stopElsewhere(sessionId, abandon)).toBe(true);
    expect(await b.store.stopElsewhere(sessionId, abandon)).toBe(false); // it has its final event now
    expect(abandoned).toEqual([generationId]);
    log.end();
  });
});
