import 'reflect-metadata';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { Inject, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type ClientProxy, ClientsModule, Transport } from '@nestjs/microservices';
import { connect } from '@nats-io/transport-node';
import { randomUUID } from 'node:crypto';
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { deltaText, type FakeLlmServer, startFakeLlm } from '../apps/fake-llm/src/fake-llm.server.js';
import { configureFakeProvider, FAKE_UPSTREAM_ENV } from './factories/provider.factory.js';
import { registerUser, type TestUser } from './factories/user.factory.js';
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
    const sessions = await firstValueFrom(chat.send<{ id: string }[]>('chat.sessions.list', { auth: { apiKey }, limit: 5 }));
    expect(sessions.map((s) => s.id)).toContain(sessionId);
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
