import { afterEach, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { Redis } from 'ioredis';
import { describeWith, REDIS } from '../../../../test/helpers/suite-requirements.js';
import { RedisChannels } from './redis-channels.js';

const REDIS_URL = process.env.TEST_REDIS_URL;
/** Needs a real Redis (TEST_REDIS_URL, as in CI); a fresh machine without one skips it. */
const withRedis = describeWith(REDIS);

/** Publishes until the listener hears it: a subscription that Redis lost would never hear any. */
async function heard(publisher: Redis, channel: string, received: string[]): Promise<boolean> {
  const before = received.length;
  for (let attempt = 0; attempt < 20; attempt++) {
    await publisher.publish(channel, `ping ${attempt}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    if (received.length > before) return true;
  }
  return false;
}

withRedis('RedisChannels on a real Redis', () => {
  const opened: Redis[] = [];
  const open = (keyPrefix?: string): Redis => {
    const connection = new Redis(REDIS_URL!, { keyPrefix });
    connection.on('error', () => undefined); // the kill below makes it reconnect
    opened.push(connection);
    return connection;
  };
  afterEach(() => opened.splice(0).forEach((connection) => connection.disconnect()));

  it('stays subscribed when it subscribes while the connection runs its ready check, and after a reconnect', async () => {
    const publisher = open();
    const subscriber = open();
    const channel = `test:${randomUUID()}`;
    const received: string[] = [];
    await once(subscriber, 'connect');
    expect(subscriber.status).toBe('connect'); // up, its ready check not answered yet
    await new RedisChannels(subscriber).listen(channel, (message) => received.push(message));
    expect(await heard(publisher, channel, received)).toBe(true);

    // Only this connection: other processes on the same Redis keep theirs.
    const { localAddress, localPort } = subscriber.stream as Socket;
    expect(await publisher.client('KILL', 'ADDR', `${localAddress}:${localPort}`)).toBe(1);
    expect(await heard(publisher, channel, received)).toBe(true);
  });

  it('delivers to every listener of a channel, and unsubscribes when the last one leaves', async () => {
    const connection = open();
    const publisher = open();
    const channels = new RedisChannels(connection);
    const channel = `test:${randomUUID()}`;
    const first: string[] = [];
    const second: string[] = [];
    const stopFirst = await channels.listen(channel, (message) => first.push(message));
    const stopSecond = await channels.listen(channel, (message) => second.push(message));
    expect(await heard(publisher, channel, second)).toBe(true);
    expect(first).toEqual(second);
    stopFirst();
    expect(await publisher.pubsub('NUMSUB', channel)).toEqual([channel, 1]);
    stopSecond();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await publisher.pubsub('NUMSUB', channel)).toEqual([channel, 0]);
  });

  it("names channels with the connection's key prefix, which ioredis puts before keys only", async () => {
    const prefix = `test-${randomUUID()}:`;
    const channels = new RedisChannels(open(prefix));
    const publisher = open();
    const received: string[] = [];
    await channels.listen('news', (message) => received.push(message));
    expect(channels.name('news')).toBe(`${prefix}news`);
    expect(await publisher.pubsub('NUMSUB', 'news', `${prefix}news`)).toEqual(['news', expect.anything(), `${prefix}news`, 1]);
    expect(await heard(publisher, `${prefix}news`, received)).toBe(true);
  });
});
