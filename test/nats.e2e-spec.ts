import 'reflect-metadata';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { Inject, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type ClientProxy, ClientsModule, NatsRecordBuilder, Transport } from '@nestjs/microservices';
import { connect, headers as natsHeaders } from '@nats-io/transport-node';
import { randomUUID } from 'node:crypto';
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { deltaText, type FakeLlmServer, startFakeLlm } from '../apps/fake-llm/src/fake-llm.server.js';
import { configureFakeProvider, FAKE_UPSTREAM_ENV } from './factories/provider.factory.js';
import { registerUser, type TestUser } from './factories/user.factory.js';
import { eventually } from './helpers/eventually.js';
import { describeWith, NATS } from './helpers/suite-requirements.js';
import { bootTestApp, type TestApp } from './helpers/test-app.js';

/** Needs a NATS server: CI starts one and sets TEST_NATS_URL; a fresh machine without one skips this suite. */
const NATS_URL = process.env.TEST_NATS_URL;
const withNats = describeWith(NATS);
const CHAT = 'CHAT_SERVICE';

/** The calling service: a separate Nest application that only knows the chat's message patterns. */
@Injectable()
class ReportingService {
  constructor(@Inject(CHAT) readonly chat: ClientProxy) {}
}

@Module({
  imports: [ClientsModule.register([{ name: CHAT, transport: Transport.NATS, options: { servers: [NATS_URL ?? ''] } }])],
  providers: [ReportingService],
})
class CallerModule {}

withNats('chat over NATS for other Nest services (e2e)', () => {
  let api: TestApp;
  let fake: FakeLlmServer;
  let user: TestUser;
  let apiKey: string;
  let caller: Awaited<ReturnType<typeof NestFactory.createApplicationContext>>;
  let chat: ClientProxy;

  beforeAll(async () => {
    fake = await startFakeLlm({ port: 0 });
    // A small body limit, so the size rule for messages can be shown below the NATS server's own limit.
    api = await bootTestApp({ ...FAKE_UPSTREAM_ENV, NATS_URL: NATS_URL!, BODY_LIMIT: '64kb' });
    user = await registerUser(api);
    await configureFakeProvider(api, user, 'openai', fake.url);
    apiKey = (await api.http().post('/api/keys').set(user.auth).send({ name: 'reporting service' }).expect(201)).body.key;
    caller = await NestFactory.createApplicationContext(CallerModule, { logger: false });
    chat = caller.get(ReportingService).chat;
    await chat.connect();
  });
  afterAll(async () => {
    await caller?.close();
    await api?.close();
    await fake?.close();
  });

  it('streams every delta in order and saves the turn', async () => {
    const question = `over nats ${randomUUID()}`;
    const events = await lastValueFrom(
      chat.send<{ event: string; data: any }>('chat.stream', { auth: { apiKey }, request: { message: question, provider: 'openai', model: 'fake:deltas=12,delay=5' } }).pipe(toArray()),
    );
    expect(events.map((e) => e.event)).toEqual(['session', ...Array(12).fill('message'), 'done']);
    const text = events.filter((e) => e.event === 'message').map((e) => e.data.content).join('');
    expect(text).toBe(Array.from({ length: 12 }, (_, i) => deltaText(i)).join(''));

    const sessionId = events[0]!.data.sessionId;
    const { body } = await api.http().get(`/api/chat/sessions/${sessionId}/messages`).set(user.auth).expect(200);
    expect(body.messages.map((m: any) => [m.role, m.status, m.content])).toEqual([
      ['user', 'complete', question],
      ['assistant', 'complete', text],
    ]);
    const page = await firstValueFrom(chat.send<{ sessions: { id: string }[] }>('chat.sessions.list', { auth: { apiKey }, limit: 5 }));
    expect(page.sessions.map((s) => s.id)).toContain(sessionId);
  });

  it('serves the session routes as HTTP does: get, messages, rename, pages with cursor, stop, delete', async () => {
    const owner = await registerUser(api);
    await configureFakeProvider(api, owner, 'openai', fake.url);
    const key = (await api.http().post('/api/keys').set(owner.auth).send({ name: 'sessions over nats' }).expect(201)).body.key;
    const auth = { apiKey: key };
    const ask = async (message: string) =>
      (await lastValueFrom(chat.send<{ event: string; data: any }>('chat.stream', { auth, request: { message, provider: 'echo' } }).pipe(toArray())))[0]!.data
        .sessionId as string;
    const ids = [await ask('first'), await ask('second'), await ask('third')];

    const call = <T>(pattern: string, data: object) => firstValueFrom(chat.send<T>(pattern, { auth, ...data }));
    const overHttp = async (path: string) => JSON.parse(JSON.stringify((await api.http().get(path).set(owner.auth).expect(200)).body));
    expect(await call('chat.sessions.get', { sessionId: ids[0] })).toEqual(await overHttp(`/api/chat/sessions/${ids[0]}`));
    expect(await call('chat.sessions.messages', { sessionId: ids[0] })).toEqual(await overHttp(`/api/chat/sessions/${ids[0]}/messages`));
    expect(await call('chat.sessions.messages', { sessionId: ids[0], view: 'all' })).toEqual(await overHttp(`/api/chat/sessions/${ids[0]}/messages?view=all`));

    const first = await call<{ sessions: { id: string }[]; nextCursor: string }>('chat.sessions.list', { limit: 2 });
    expect(first).toEqual(await overHttp('/api/chat/sessions?limit=2'));
    const second = await call<{ sessions: { id: string }[]; nextCursor: string | null }>('chat.sessions.list', { limit: 2, cursor: first.nextCursor });
    expect([...first.sessions, ...second.sessions].map((s) => s.id)).toEqual([...ids].reverse());
    expect(second.nextCursor).toBeNull();

    expect(await call('chat.sessions.rename', { sessionId: ids[1], title: 'Renamed over NATS' })).toEqual(
      expect.objectContaining({ id: ids[1], title: 'Renamed over NATS' }),
    );
    expect((await overHttp(`/api/chat/sessions/${ids[1]}`)).title).toBe('Renamed over NATS');

    // A reply long enough to be stopped: started without waiting for it, stopped over NATS, saved as stopped.
    fake.reset();
    const running = lastValueFrom(chat.send<{ event: string; data: any }>('chat.stream', { auth, request: { message: 'long', sessionId: ids[2], provider: 'openai', model: 'fake:deltas=2000,delay=20' } }).pipe(toArray()));
    await eventually(() => expect(fake.requests).toHaveLength(1));
    expect(await call('chat.stop', { sessionId: ids[2] })).toEqual({ stopped: true });
    expect((await running).at(-1)).toEqual({ event: 'done', data: expect.objectContaining({ stopped: true }) });
    expect(await call('chat.stop', { sessionId: ids[2] })).toEqual({ stopped: false });

    expect(await call('chat.sessions.delete', { sessionId: ids[0] })).toEqual({ id: ids[0], deleted: true });
    await api.http().get(`/api/chat/sessions/${ids[0]}`).set(owner.auth).expect(404);

    // Another user's session is not found, whatever the pattern.
    for (const pattern of ['chat.stop', 'chat.sessions.get', 'chat.sessions.messages', 'chat.sessions.delete']) {
      await expect(firstValueFrom(chat.send(pattern, { auth: { apiKey }, sessionId: ids[1] }))).rejects.toEqual(
        expect.objectContaining({ statusCode: 404, code: 'SESSION_NOT_FOUND' }),
      );
    }
    await expect(firstValueFrom(chat.send('chat.sessions.rename', { auth: { apiKey }, sessionId: ids[1], title: 'mine now' }))).rejects.toEqual(
      expect.objectContaining({ statusCode: 404 }),
    );
    expect((await overHttp(`/api/chat/sessions/${ids[1]}`)).title).toBe('Renamed over NATS');
  });

  it('answers every malformed message with a 400 naming the field, never a 500', async () => {
    fake.reset();
    const auth = { apiKey };
    const sessionId = randomUUID();
    const request = { message: 'hi', provider: 'openai' };
    const malformed: [string, unknown, RegExp][] = [
      ['chat.stream', {}, /auth must be an object/],
      ['chat.stream', { request }, /auth must be an object/],
      ['chat.stream', { auth: null, request }, /auth must be an object/],
      ['chat.stream', { auth: 'sk-chat-0123456789abcdef', request }, /auth must be an object/],
      ['chat.stream', { auth: [auth], request }, /auth must be an object/],
      ['chat.stream', { auth: {}, request }, /auth\.apiKey must be a personal API key/],
      ['chat.stream', { auth: { apiKey: 42 }, request }, /auth\.apiKey must be/],
      ['chat.stream', { auth }, /request must be an object/],
      ['chat.stream', { auth, request: 'hi' }, /request must be an object/],
      ['chat.stream', { auth, request: [request] }, /request must be an object/],
      ['chat.stream', { auth, request: {} }, /request\.message/],
      ['chat.stream', { auth, request: { ...request, temperature: 'hot' } }, /request\.temperature/],
      ['chat.stream', { auth, request, extra: 1 }, /property extra should not exist/],
      ['chat.stop', { auth }, /sessionId must be a UUID/],
      ['chat.stop', { auth, sessionId: 'not-a-uuid' }, /sessionId must be a UUID/],
      ['chat.stop', { sessionId }, /auth must be an object/],
      ['chat.sessions.get', { auth, sessionId: 7 }, /sessionId must be a UUID/],
      ['chat.sessions.messages', { auth, sessionId, view: 'everything' }, /view must be one of branch, all/],
      ['chat.sessions.delete', { auth }, /sessionId must be a UUID/],
      ['chat.sessions.rename', { auth, sessionId }, /title must be/],
      ['chat.sessions.rename', { auth, sessionId, title: '   ' }, /title must not be blank/],
      ['chat.sessions.rename', { auth, sessionId, title: 'x'.repeat(201) }, /title must be between 1 and 200 characters/],
      ['chat.sessions.list', { auth, limit: 0 }, /limit must not be less than 1/],
      ['chat.sessions.list', { auth, limit: 'many' }, /limit must be an integer/],
      ['chat.sessions.list', { auth, cursor: '!!' }, /cursor is not valid/],
      ['chat.sessions.list', { auth, cursor: 'bm90IGEgY3Vyc29y' }, /cursor is not valid/],
      ['chat.sessions.list', {}, /auth must be an object/],
    ];
    for (const [pattern, payload, message] of malformed) {
      const answer = await firstValueFrom(chat.send(pattern, payload)).then(
        (value) => ({ answered: value }),
        (error: unknown) => error,
      );
      expect({ pattern, payload, answer }).toEqual({
        pattern,
        payload,
        answer: expect.objectContaining({ statusCode: 400, error: 'Bad Request', message: expect.stringMatching(message) }),
      });
    }
    // Payloads a Nest client refuses to send, as raw Nest packets: none, null, or not an object.
    const raw = await connect({ servers: NATS_URL! });
    try {
      for (const data of ['', ',"data":null', ',"data":"hello"', `,"data":[${JSON.stringify({ auth, request })}]`, ',"data":42']) {
        const answer = (await raw.request('chat.stream', `{"pattern":"chat.stream"${data},"id":"${randomUUID()}"}`, { timeout: 5_000 })).json<{ err?: unknown }>();
        expect({ data, answer: answer.err }).toEqual({ data, answer: expect.objectContaining({ statusCode: 400, error: 'Bad Request' }) });
      }
    } finally {
      await raw.close();
    }
    expect(fake.requests).toEqual([]);
    expect(api.output()).not.toMatch(/TypeError|"level":50/);
  });

  it('logs each message with the request id the caller sent in its NATS headers', async () => {
    const requestId = `nats-${randomUUID()}`;
    const headers = natsHeaders();
    headers.set('x-request-id', requestId);
    await expect(
      firstValueFrom(chat.send('chat.sessions.get', new NatsRecordBuilder({ auth: { apiKey }, sessionId: randomUUID() }).setHeaders(headers).build())),
    ).rejects.toEqual(expect.objectContaining({ statusCode: 404 }));
    const line = await eventually(() => {
      const found = api.output().split('\n').find((l) => l.includes(requestId));
      expect(found).toBeDefined();
      return found!;
    });
    expect(JSON.parse(line)).toEqual(expect.objectContaining({ reqId: requestId }));
  });

  it('refuses calls without a valid credential or with a bad request, in the HTTP error shape', async () => {
    await expect(firstValueFrom(chat.send('chat.sessions.list', { auth: { apiKey: 'sk-chat-not-a-real-key-000000' } }))).rejects.toEqual(
      expect.objectContaining({ statusCode: 401, code: 'UNAUTHENTICATED' }),
    );
    await expect(firstValueFrom(chat.send('chat.sessions.list', { userId: user.id }))).rejects.toEqual(expect.objectContaining({ statusCode: 400 }));
    await expect(firstValueFrom(chat.send('chat.stream', { auth: { apiKey }, request: { message: '', provider: 'echo' } }))).rejects.toEqual(
      expect.objectContaining({ statusCode: 400 }),
    );
    const other = await registerUser(api);
    const session = (await api.http().get('/api/chat/sessions').set(user.auth)).body.sessions[0].id;
    const otherKey = (await api.http().post('/api/keys').set(other.auth).send({ name: 'other' }).expect(201)).body.key;
    await expect(firstValueFrom(chat.send('chat.stream', { auth: { apiKey: otherKey }, request: { message: 'hi', sessionId: session } }))).rejects.toEqual(
      expect.objectContaining({ statusCode: 404 }),
    );
  });

  it('refuses hostile payloads (too deep, too large, NUL, lone surrogates) in the HTTP error shape, before calling the provider', async () => {
    fake.reset();
    // What a Nest client cannot even serialise: 20,000 levels (40 KB), sent as raw bytes in the Nest packet format.
    const raw = await connect({ servers: NATS_URL! });
    try {
      const deep = `{"pattern":"chat.stream","data":{"auth":{"apiKey":"${apiKey}"},"request":{"message":"hi","x":${'['.repeat(20_000)}${']'.repeat(20_000)}}},"id":"${randomUUID()}"}`;
      const started = Date.now();
      const answer = (await raw.request('chat.stream', deep, { timeout: 5_000 })).json<{ err?: unknown }>();
      expect(answer.err).toEqual({ statusCode: 400, error: 'Bad Request', message: 'Message payload is nested deeper than 32 levels' });
      expect(Date.now() - started).toBeLessThan(1_000);
    } finally {
      await raw.close();
    }
    await expect(firstValueFrom(chat.send('chat.stream', { auth: { apiKey }, request: { message: 'x'.repeat(70_000), provider: 'openai' } }))).rejects.toEqual({
      statusCode: 413,
      error: 'Payload Too Large',
      message: 'Message payload is larger than 65536 bytes',
    });
    const refusals = [
      [{ auth: { apiKey }, request: { message: 'a\u0000b', provider: 'openai', model: 'fake:deltas=2' } }, 'request.message'],
      [{ auth: { apiKey }, request: { message: 'a\ud800b', provider: 'openai', model: 'fake:deltas=2' } }, 'request.message'],
      [{ auth: { apiKey }, request: { message: 'hi', provider: 'openai', model: 'fake:deltas=2\u0000' } }, 'request.model'],
      [{ auth: { apiKey: `${apiKey}\udc00` }, request: { message: 'hi', provider: 'openai' } }, 'auth.apiKey'],
    ] as const;
    for (const [payload, field] of refusals) {
      await expect(firstValueFrom(chat.send('chat.stream', payload))).rejects.toEqual({
        statusCode: 400,
        error: 'Bad Request',
        code: 'VALIDATION_FAILED',
        message: `${field} must not contain NUL characters or unpaired surrogates`,
      });
    }
    expect(fake.requests).toEqual([]);
  });
});
