import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type FakeLlmServer, replyText, startFakeLlm } from '../apps/fake-llm/src/fake-llm.server.js';
import { configureFakeProvider, FAKE_UPSTREAM_ENV } from './factories/provider.factory.js';
import { registerUser, type TestUser } from './factories/user.factory.js';
import { eventually } from './helpers/eventually.js';
import { readStream } from './helpers/sse-client.js';
import { bootTestApp, type TestApp } from './helpers/test-app.js';

const RUNS = 100;
/** The client aborts after a random 1 to 38 deltas; the reply goes on long after that (1.8 s at least), so that a
 * client slowed down by a loaded machine still aborts mid-reply, not after the reply has ended. */
const ABORT_WITHIN = 40;
const DELTAS = 400;
const fullText = replyText(DELTAS);

/** A small deterministic generator, so a failing run can be replayed. */
function seeded(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
}

describe('faults (e2e)', () => {
  let api: TestApp;
  let fake: FakeLlmServer;
  let user: TestUser;

  beforeAll(async () => {
    fake = await startFakeLlm({ port: 0 });
    api = await bootTestApp({ ...FAKE_UPSTREAM_ENV, CHAT_MAX_CONCURRENT_PER_USER: '3' });
    user = await registerUser(api);
    await configureFakeProvider(api, user, 'openai', fake.url);
  });
  afterAll(async () => {
    await api?.close();
    await fake?.close();
  });

  /** The session's messages once its reply is no longer streaming. */
  function settledMessages(sessionId: string) {
    return eventually(async () => {
      const { body } = await api.http().get(`/api/chat/sessions/${sessionId}/messages`).set(user.auth).expect(200);
      expect(body.messages[1].status).not.toBe('streaming');
      return body.messages;
    });
  }

  it(`leaves exactly one aborted reply with what was relayed, and closes the upstream, for ${RUNS} randomly timed client aborts`, async () => {
    const random = seeded(20261125);
    const results = [];
    for (let run = 0; run < RUNS; run++) {
      fake.reset();
      const stopAfter = 1 + Math.floor(random() * (ABORT_WITHIN - 2));
      const result = await readStream(`${api.url}/api/chat/stream`, {
        token: user.token,
        body: { message: `run ${run}`, provider: 'openai', model: `fake:deltas=${DELTAS},delay=5` },
        until: (event, events) => event.event === 'message' && events.filter((e) => e.event === 'message').length >= stopAfter,
      });
      expect([run, result.status]).toEqual([run, 200]);
      const upstream = fake.requests[0]!;
      await upstream.closed;
      // An aborted reply holds one of the user's three generating slots until it is saved; on a loaded machine,
      // three could still be saving when the next run starts, which would then get a 429.
      const messages = await settledMessages(result.events[0]!.data.sessionId);
      results.push({ run, result, upstream, messages });
    }
    for (const { run, result, upstream, messages } of results) {
      expect([run, messages.length]).toEqual([run, 2]);
      const reply = messages[1];
      expect([run, reply.status, reply.errorCode]).toEqual([run, 'aborted', 'client_disconnected']);
      // What was saved is what the gateway had relayed: everything the client read, and a prefix of what the upstream sent.
      expect(reply.content.startsWith(result.text)).toBe(true);
      expect(upstream.text.startsWith(reply.content)).toBe(true);
      expect(fullText.startsWith(reply.content)).toBe(true);
      expect(upstream.closedEarly).toBe(true);
    }
  });

  it('limits how many replies one user may have generating at once', async () => {
    const other = await registerUser(api);
    await configureFakeProvider(api, other, 'openai', fake.url);
    const long = { message: 'slow', provider: 'openai', model: 'fake:deltas=40,delay=50' };
    const streaming: Promise<void>[] = [];
    const held = [0, 1, 2].map(() => {
      let markStreaming!: () => void;
      streaming.push(new Promise((resolve) => (markStreaming = resolve)));
      return readStream(`${api.url}/api/chat/stream`, {
        token: other.token,
        body: long,
        until: (event) => {
          if (event.event === 'message') markStreaming();
          return false;
        },
      });
    });
    await Promise.all(streaming);
    const fourth = await readStream(`${api.url}/api/chat/stream`, { token: other.token, body: long });
    expect(fourth.status).toBe(429);
    expect(fourth.body).toEqual(expect.objectContaining({ statusCode: 429, code: 'TOO_MANY_GENERATIONS' }));
    const ownUser = await readStream(`${api.url}/api/chat/stream`, { token: user.token, body: { message: 'mine', provider: 'echo' } });
    expect(ownUser.events.at(-1)!.event).toBe('done');
    for (const result of await Promise.all(held)) expect(result.events.at(-1)!.event).toBe('done');
    const afterwards = await readStream(`${api.url}/api/chat/stream`, { token: other.token, body: { message: 'again', provider: 'echo' } });
    expect(afterwards.events.at(-1)!.event).toBe('done');
  });
});
