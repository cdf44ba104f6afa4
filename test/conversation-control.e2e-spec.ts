import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { EventSource } from 'eventsource';
import jwt from 'jsonwebtoken';
import { createHmac } from 'node:crypto';
import { type FakeLlmServer, replyText, startFakeLlm } from '../apps/fake-llm/src/fake-llm.server.js';
import { configureFakeProvider, FAKE_UPSTREAM_ENV } from './factories/provider.factory.js';
import { registerUser, type TestUser } from './factories/user.factory.js';
import { eventually } from './helpers/eventually.js';
import { readStream, type SseEvent } from './helpers/sse-client.js';
import { describeWith, REDIS } from './helpers/suite-requirements.js';
import { bootTestApp, TEST_ENV, type TestApp } from './helpers/test-app.js';

const SLOW = 'fake:deltas=60,delay=25';
const messageCount = (events: SseEvent[]) => events.filter((event) => event.event === 'message').length;

/** The suite, against the in-process generation store or (given REDIS_URL) the Redis one. */
const conversationControl = (storeEnv: Record<string, string>) => () => {
  let api: TestApp;
  let fake: FakeLlmServer;
  let user: TestUser;
  let other: TestUser;

  const send = (body: Record<string, unknown>, until?: (event: SseEvent, events: SseEvent[]) => boolean) =>
    readStream(`${api.url}/api/chat/stream`, { token: user.token, body: { provider: 'openai', ...body }, until });
  const follow = (sessionId: string, options: { headers?: Record<string, string>; query?: string; token?: string | null; until?: (event: SseEvent, events: SseEvent[]) => boolean } = {}) =>
    readStream(`${api.url}/api/chat/sessions/${sessionId}/stream${options.query ?? ''}`, {
      method: 'GET',
      ...(options.token !== null && { token: options.token ?? user.token }),
      headers: options.headers,
      until: options.until,
    });
  const messagesOf = async (sessionId: string, view = 'branch') =>
    (await api.http().get(`/api/chat/sessions/${sessionId}/messages?view=${view}`).set(user.auth).expect(200)).body.messages as any[];
  /** Starts a slow reply that goes on after we stop reading; resolves with its session once it is under way. */
  const startDetached = async (body: Record<string, unknown> = {}) => {
    const started = await send({ message: 'tell me a long story', model: SLOW, detach: true, ...body }, (_, events) => messageCount(events) === 3);
    return started.events[0]!.data as { sessionId: string; messageId: string };
  };
  const stop = (sessionId: string, who = user) => api.http().post(`/api/chat/sessions/${sessionId}/stop`).set(who.auth);
  const streamToken = async (sessionId: string) =>
    (await api.http().post(`/api/chat/sessions/${sessionId}/stream-token`).set(user.auth).expect(200)).body.token as string;

  beforeAll(async () => {
    fake = await startFakeLlm({ port: 0 });
    api = await bootTestApp({ ...FAKE_UPSTREAM_ENV, SSE_HEARTBEAT_MS: '500', ...storeEnv });
    [user, other] = await Promise.all([registerUser(api), registerUser(api)]);
    await configureFakeProvider(api, user, 'openai', fake.url);
  });
  afterAll(async () => {
    await api?.close();
    await fake?.close();
  });
  beforeEach(() => fake.reset());

  describe('stop', () => {
    it('closes the upstream call, saves the partial reply and ends every attached stream with done {stopped: true}', async () => {
      const original = send({ message: 'a long one please', model: SLOW });
      const { sessionId } = await eventually(async () => {
        const list = (await api.http().get('/api/chat/sessions?limit=1').set(user.auth).expect(200)).body.sessions;
        expect(fake.requests.length).toBe(1);
        return { sessionId: list[0].id as string };
      });
      const follower = follow(sessionId);
      await eventually(() => expect(fake.requests[0]!.deltasWritten).toBeGreaterThan(3));

      expect((await stop(sessionId).expect(200)).body).toEqual({ stopped: true });
      const [sent, followed] = await Promise.all([original, follower]);
      for (const result of [sent, followed]) {
        expect(result.events.at(-1)).toEqual(expect.objectContaining({ event: 'done', data: expect.objectContaining({ stopped: true, reason: 'user' }) }));
      }
      await fake.requests[0]!.closed;
      expect(fake.requests[0]!.closedEarly).toBe(true);
      expect(followed.text).toBe(sent.text);
      const reply = (await messagesOf(sessionId)).at(-1);
      expect(reply).toEqual(expect.objectContaining({ status: 'aborted', errorCode: 'stopped', content: sent.text }));
      expect(sent.text.length).toBeGreaterThan(0);
      expect(sent.text.length).toBeLessThan(replyText(60).length);

      expect((await stop(sessionId).expect(200)).body).toEqual({ stopped: false });
    });

    it('answers 404 for another user, and stopped: false when nothing runs', async () => {
      const { sessionId } = await startDetached();
      await stop(sessionId, other).expect(404);
      await stop(sessionId).expect(200);
      expect((await stop(sessionId).expect(200)).body).toEqual({ stopped: false });
    });
  });

  describe('one reply per session', () => {
    it('refuses a second send, a regenerate and an edit with 409 while a reply runs, and accepts them after', async () => {
      const { sessionId } = await startDetached();
      const conflict = await send({ message: 'me too', sessionId });
      expect(conflict.status).toBe(409);
      expect(conflict.body).toEqual({ statusCode: 409, error: 'Conflict', code: 'GENERATION_IN_PROGRESS', message: expect.stringContaining('already being generated') });
      const question = (await messagesOf(sessionId))[0];
      await api.http().post(`/api/chat/sessions/${sessionId}/regenerate`).set(user.auth).send({}).expect(409);
      await api.http().post(`/api/chat/sessions/${sessionId}/messages/${question.id}/edit`).set(user.auth).send({ content: 'x' }).expect(409);

      await stop(sessionId).expect(200);
      const next = await send({ message: 'now?', sessionId, model: 'fake:deltas=2' });
      expect(next.events.at(-1)!.event).toBe('done');
    });
  });

  describe('detach', () => {
    it('keeps generating after the client leaves when asked, and stops it otherwise', async () => {
      const { sessionId, messageId } = await startDetached();
      await eventually(async () => expect((await messagesOf(sessionId)).at(-1)).toEqual(expect.objectContaining({ id: messageId, status: 'complete', content: replyText(60) })), 10_000);

      const left = await send({ message: 'bye', model: SLOW }, (_, events) => messageCount(events) === 3);
      const gone = left.events[0]!.data as { sessionId: string };
      await eventually(async () => expect((await messagesOf(gone.sessionId)).at(-1)).toEqual(expect.objectContaining({ status: 'aborted', errorCode: 'client_disconnected' })));
    });
  });

  describe('following a session', () => {
    it('replays the running reply and continues live, and after a cut resumes with Last-Event-ID without a gap or a repeat', async () => {
      const { sessionId, messageId } = await startDetached();
      const first = await follow(sessionId, { until: (_, events) => messageCount(events) === 10 });
      expect(first.events[0]).toEqual(expect.objectContaining({ event: 'session', id: `${messageId}:1`, data: { sessionId, messageId } }));
      const lastId = first.events.at(-1)!.id!;
      const rest = await follow(sessionId, { headers: { 'Last-Event-ID': lastId } });
      expect(rest.events[0]!.id).toBe(`${messageId}:${Number(lastId.split(':')[1]) + 1}`);
      expect(first.text + rest.text).toBe(replyText(60));
      expect(rest.events.at(-1)!.event).toBe('done');

      // The same, from the query parameter; and nothing left after the last event.
      const tail = await follow(sessionId, { query: `?lastEventId=${encodeURIComponent(first.events.at(-1)!.id!)}` });
      expect(tail.text).toBe(rest.text);
      const nothing = await follow(sessionId, { headers: { 'Last-Event-ID': rest.events.at(-1)!.id! } });
      expect(nothing.status).toBe(204);
    });

    it('a browser EventSource with a stream token resumes after a cut, and the text equals the saved reply', async () => {
      const { sessionId, messageId } = await startDetached();
      const token = await streamToken(sessionId);
      let connections = 0;
      const lastEventIds: (string | null)[] = [];
      // The first connection is cut by the "network" after a few events; the EventSource reconnects by itself.
      const flakyFetch: typeof fetch = async (input, init) => {
        connections++;
        lastEventIds.push(new Headers(init?.headers).get('last-event-id'));
        const response = await fetch(input, init);
        if (connections > 1 || !response.body) return response;
        const reader = response.body.getReader();
        let chunks = 0;
        const cut = new ReadableStream<Uint8Array>({
          async pull(controller) {
            const { done, value } = await reader.read();
            if (done) return controller.close();
            controller.enqueue(value);
            if (++chunks === 6) {
              await reader.cancel();
              controller.error(new Error('connection reset'));
            }
          },
        });
        return new Response(cut, { status: response.status, headers: response.headers });
      };
      const source = new EventSource(`${api.url}/api/chat/sessions/${sessionId}/stream?token=${encodeURIComponent(token)}`, { fetch: flakyFetch });
      const texts: string[] = [];
      const ids: string[] = [];
      source.addEventListener('message', (event) => {
        texts.push(JSON.parse(event.data).content);
        ids.push(event.lastEventId);
      });
      const finished = new Promise<void>((resolve) => source.addEventListener('done', () => resolve()));
      await finished;
      // After `done` the stream ends; the reconnect that follows gets 204, which closes the EventSource for good.
      await eventually(() => expect(source.readyState).toBe(EventSource.CLOSED), 10_000);
      source.close();

      expect(connections).toBeGreaterThanOrEqual(2);
      expect(lastEventIds[0]).toBeNull();
      expect(lastEventIds[1]).toMatch(new RegExp(`^${messageId}:\\d+$`));
      expect(new Set(ids).size).toBe(ids.length);
      const saved = (await messagesOf(sessionId)).at(-1);
      expect(saved).toEqual(expect.objectContaining({ id: messageId, status: 'complete' }));
      expect(texts.join('')).toBe(saved.content);
    });

    it('answers the latest finished reply, and 204 when the session has none', async () => {
      const done = await send({ message: 'short', model: 'fake:deltas=3' });
      const { sessionId } = done.events[0]!.data;
      const replay = await follow(sessionId);
      expect(replay.events.map((event) => [event.event, event.id])).toEqual(done.events.map((event) => [event.event, event.id]));

      const openai = await api.http().post('/v1/chat/completions').set(user.auth).send({ model: 'openai/fake:deltas=2', messages: [{ role: 'user', content: 'hi' }] }).expect(200);
      expect(openai.body.id).toBeDefined();
      const sessions = (await api.http().get('/api/chat/sessions?limit=1').set(user.auth).expect(200)).body.sessions;
      expect((await follow(sessions[0].id)).status).toBe(204);
    });

    it('refuses a Last-Event-ID that is not one of ours with 400', async () => {
      const done = await send({ message: 'short', model: 'fake:deltas=1' });
      const result = await follow(done.events[0]!.data.sessionId, { headers: { 'Last-Event-ID': '17' } });
      expect(result.status).toBe(400);
      expect(result.body.message).toContain('Last-Event-ID');
    });
  });

  describe('stream tokens', () => {
    it('grant one session for a short time, and never stand in for an access token (or the reverse)', async () => {
      const a = (await send({ message: 'a', model: 'fake:deltas=1' })).events[0]!.data.sessionId;
      const b = (await send({ message: 'b', model: 'fake:deltas=1' })).events[0]!.data.sessionId;
      const token = await streamToken(a);
      expect((await follow(a, { token: null, query: `?token=${token}` })).status).toBe(200);
      expect((await follow(b, { token: null, query: `?token=${token}` })).status).toBe(401);
      expect((await follow(a, { token: null, query: `?token=${user.token}` })).status).toBe(401);
      expect((await follow(a, { token: null })).status).toBe(401);
      await api.http().get('/api/chat/sessions').set({ Authorization: `Bearer ${token}` }).expect(401);
      await api.http().get(`/api/chat/sessions?token=${user.token}`).expect(401);

      const secret = createHmac('sha256', TEST_ENV.JWT_SECRET).update('stream-token').digest();
      const expired = jwt.sign({ sub: user.id, sid: a, ver: 0, exp: Math.floor(Date.now() / 1000) - 5 }, secret, { algorithm: 'HS256', audience: 'chat-session-stream' });
      expect((await follow(a, { token: null, query: `?token=${expired}` })).status).toBe(401);
      await api.http().post(`/api/chat/sessions/${a}/stream-token`).set(other.auth).expect(404);
    });
  });

  describe('regenerate and edit', () => {
    it('regenerates the last answer as a new version from the same question, keeping the old one', async () => {
      const first = await send({ message: 'first question', model: 'fake:deltas=2' });
      const { sessionId, messageId: oldReply } = first.events[0]!.data;
      fake.reset();
      const again = await readStream(`${api.url}/api/chat/sessions/${sessionId}/regenerate`, { token: user.token, body: { model: 'fake:deltas=4' } });
      expect(again.events.map((event) => event.event)).toEqual(['session', 'message', 'message', 'message', 'message', 'done']);
      const newReply = again.events[0]!.data.messageId;
      expect(fake.requests[0]!.body.messages.filter((m: any) => m.role !== 'system')).toEqual([{ role: 'user', content: 'first question' }]);

      const branch = await messagesOf(sessionId);
      expect(branch.map((m) => [m.role, m.id])).toEqual([
        ['user', branch[0].id],
        ['assistant', newReply],
      ]);
      expect(branch[1]).toEqual(expect.objectContaining({ parentId: branch[0].id, siblingIds: [oldReply, newReply], content: replyText(4) }));
      expect((await messagesOf(sessionId, 'all')).map((m) => m.id)).toEqual([branch[0].id, oldReply, newReply]);

      const switched = await api.http().put(`/api/chat/sessions/${sessionId}/branch`).set(user.auth).send({ messageId: oldReply }).expect(200);
      expect(switched.body.messages.map((m: any) => m.id)).toEqual([branch[0].id, oldReply]);
      expect((await messagesOf(sessionId)).at(-1).id).toBe(oldReply);
    });

    it('edits a question into a new branch answered from the same point, and the next message continues it', async () => {
      const first = await send({ message: 'q1', model: 'fake:deltas=1' });
      const { sessionId } = first.events[0]!.data;
      await send({ message: 'q2', sessionId, model: 'fake:deltas=2' });
      const [q1, a1, q2, a2] = await messagesOf(sessionId);
      fake.reset();
      const edited = await readStream(`${api.url}/api/chat/sessions/${sessionId}/messages/${q2.id}/edit`, { token: user.token, body: { content: 'q2, better' } });
      expect(edited.events.at(-1)!.event).toBe('done');
      expect(fake.requests[0]!.body.messages.filter((m: any) => m.role !== 'system')).toEqual([
        { role: 'user', content: 'q1' },
        { role: 'assistant', content: a1.content },
        { role: 'user', content: 'q2, better' },
      ]);
      const branch = await messagesOf(sessionId);
      expect(branch.map((m) => m.content.slice(0, 10))).toEqual(['q1', a1.content.slice(0, 10), 'q2, better', edited.text.slice(0, 10)]);
      expect(branch[2]).toEqual(expect.objectContaining({ parentId: a1.id, siblingIds: [q2.id, branch[2].id] }));
      expect((await messagesOf(sessionId, 'all')).map((m) => m.id)).toEqual(expect.arrayContaining([q1.id, a1.id, q2.id, a2.id]));

      fake.reset();
      await send({ message: 'q3', sessionId, model: 'fake:deltas=1' });
      expect(fake.requests[0]!.body.messages.filter((m: any) => m.role !== 'system').map((m: any) => m.content)).toEqual(['q1', a1.content, 'q2, better', edited.text, 'q3']);
    });

    it('refuses to edit a reply (400) or a message of another session or user (404), and to show a branch of no message (404)', async () => {
      const first = await send({ message: 'only', model: 'fake:deltas=1' });
      const { sessionId, messageId } = first.events[0]!.data;
      const edit = (session: string, message: string, who = user) =>
        api.http().post(`/api/chat/sessions/${session}/messages/${message}/edit`).set(who.auth).send({ content: 'x' });
      expect((await edit(sessionId, messageId).expect(400)).body.message).toContain('Only your own messages');
      const second = (await send({ message: 'elsewhere', model: 'fake:deltas=1' })).events[0]!.data.sessionId;
      const question = (await messagesOf(sessionId))[0].id;
      await edit(second, question).expect(404);
      await edit(sessionId, question, other).expect(404);
      await api.http().post(`/api/chat/sessions/${sessionId}/messages/${question}/edit`).set(user.auth).send({}).expect(400);
      await api.http().put(`/api/chat/sessions/${sessionId}/branch`).set(user.auth).send({ messageId: '00000000-0000-4000-8000-000000000000' }).expect(404);
    });
  });
};

const NAME = 'stop, follow and resume, regenerate, edit (e2e)';
describe(`conversation control with generations in memory: ${NAME}`, conversationControl({}));
// The Redis store too where a Redis server is given (CI).
describeWith(REDIS)(`conversation control with generations in Redis: ${NAME}`, conversationControl({ REDIS_URL: process.env.TEST_REDIS_URL ?? '' }));
