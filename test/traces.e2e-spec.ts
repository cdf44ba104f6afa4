import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ClientNats, NatsRecordBuilder } from '@nestjs/microservices';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { randomBytes, randomUUID } from 'node:crypto';
import { firstValueFrom } from 'rxjs';
import { type FakeLlmServer, startFakeLlm } from '../apps/fake-llm/src/fake-llm.server.js';
import { configureFakeProvider, FAKE_KEY, FAKE_UPSTREAM_ENV } from './factories/provider.factory.js';
import { registerUser, type TestUser } from './factories/user.factory.js';
import { eventually } from './helpers/eventually.js';
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from './helpers/otlp-receiver.js';
import { readStream } from './helpers/sse-client.js';
import { describeWith, NATS } from './helpers/suite-requirements.js';
import { bootTestApp, type TestApp } from './helpers/test-app.js';

const SERVER = 2;
const CLIENT = 3;
const CONSUMER = 5;
const PG_SCOPE = '@opentelemetry/instrumentation-pg';

/**
 * The built server exporting over OTLP to a collector of the test's own: the SDK starts before Express and pg load
 * (ESM app, CommonJS instrumentations), so the HTTP server and database spans join the chat's own. Medium-level
 * checks of the chat's spans, with the in-memory exporter, are in apps/api/src/observability/tracing.spec.ts.
 */
describe('traces exported by the built server (e2e)', () => {
  let receiver: OtlpReceiver;
  let fake: FakeLlmServer;
  let api: TestApp;
  let user: TestUser;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    fake = await startFakeLlm({ port: 0 });
    api = await bootTestApp({
      ...FAKE_UPSTREAM_ENV,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      // Spans leave in batches; the test waits for them, not 5 s.
      OTEL_BSP_SCHEDULE_DELAY: '50',
      LOG_LEVEL: 'log',
      ...(process.env.TEST_NATS_URL && { NATS_URL: process.env.TEST_NATS_URL }),
    });
    user = await registerUser(api);
    await configureFakeProvider(api, user, 'openai', fake.url);
  });
  afterAll(async () => {
    await api?.close();
    await fake?.close();
    await receiver?.close();
  });

  const inTrace = (traceId: string) => receiver.spans.filter((span) => span.traceId === traceId);
  const childrenOf = (parent: ReceivedSpan) => receiver.spans.filter((span) => span.parentSpanId === parent.spanId);

  it('traces a chat turn: HTTP server span → generation → upstream attempt, with the database spans, and logs its trace id', async () => {
    const question = `traced over HTTP ${randomUUID()}`;
    const result = await readStream(`${api.url}/api/chat/stream`, { token: user.token, body: { message: question, provider: 'openai', model: 'fake:deltas=3' } });
    expect(result.events.at(-1)?.event).toBe('done');
    const sessionId = result.events[0]!.data.sessionId as string;

    const generation = await eventually(() => {
      const found = receiver.spans.find((span) => span.name === 'generation' && span.attributes['gen_ai.conversation.id'] === sessionId);
      expect(found).toBeDefined();
      return found!;
    });
    const request = await eventually(() => {
      const found = inTrace(generation.traceId).find((span) => span.spanId === generation.parentSpanId);
      expect(found).toMatchObject({ name: 'POST /api/chat/stream', kind: SERVER, attributes: { 'http.route': '/api/chat/stream', 'http.response.status_code': 200 } });
      return found!;
    });
    expect(generation.attributes).toMatchObject({
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'fake:deltas=3',
      'gen_ai.response.model': 'fake:deltas=3',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.output_tokens': 3,
      'chat.reply.status': 'complete',
    });
    expect(childrenOf(generation)).toContainEqual(expect.objectContaining({ name: 'chat fake:deltas=3', kind: CLIENT }));

    // The request's reads (credentials, session) under the request; the turn's and the reply's writes under the generation.
    await eventually(() => {
      const statements = inTrace(generation.traceId).filter((span) => span.scope === PG_SCOPE);
      expect(statements.some((span) => span.parentSpanId === request.spanId)).toBe(true);
      expect(statements.filter((span) => span.parentSpanId === generation.spanId).map((span) => span.attributes['db.query.text'])).toEqual(
        expect.arrayContaining([expect.stringContaining('INSERT INTO chat_sessions'), expect.stringContaining('UPDATE messages SET content')]),
      );
    });

    const requestLine = api
      .output()
      .split('\n')
      .find((line) => line.includes('"msg":"request completed"') && line.includes('"url":"/api/chat/stream"'));
    expect(requestLine).toContain(`"trace_id":"${generation.traceId}"`);

    // Nothing secret or private in anything exported: no key, token, password, or a word of the conversation.
    const exported = receiver.raw.join('\n');
    for (const secret of [FAKE_KEY, user.token, user.password, question, 'traced over HTTP']) expect(exported).not.toContain(secret);
  });

  it('redacts credential-like query parameters from the HTTP spans as the request log does', async () => {
    const planted = `planted-${randomUUID()}`;
    await api.http().get(`/api/chat/sessions?limit=5&access_token=${planted}&api%5Fkey=${planted}`).set(user.auth);
    const span = await eventually(() => {
      const found = receiver.spans.find((candidate) => candidate.kind === SERVER && String(candidate.attributes['url.query'] ?? '').includes('limit=5'));
      expect(found).toBeDefined();
      return found!;
    });
    expect(span.attributes['url.query']).toBe('limit=5&access_token=[redacted]&api%5Fkey=[redacted]');
    expect(receiver.raw.join('\n')).not.toContain(planted);
  });

  describeWith(NATS)('over NATS', () => {
    it("continues the caller's trace from the message's traceparent header", async () => {
      const apiKey = (await api.http().post('/api/keys').set(user.auth).send({ name: 'traced service' }).expect(201)).body.key as string;
      const client = new ClientNats({ servers: [process.env.TEST_NATS_URL!] });
      await client.connect();
      try {
        const traceId = randomBytes(16).toString('hex');
        const callerSpanId = randomBytes(8).toString('hex');
        const headers = natsHeaders();
        headers.set('traceparent', `00-${traceId}-${callerSpanId}-01`);
        await firstValueFrom(client.send('chat.sessions.list', new NatsRecordBuilder({ auth: { apiKey }, limit: 5 }).setHeaders(headers).build()));
        await eventually(() => {
          const handled = inTrace(traceId).find((span) => span.name === 'process chat.sessions.list');
          expect(handled).toMatchObject({ kind: CONSUMER, parentSpanId: callerSpanId, attributes: { 'messaging.system': 'nats', 'messaging.destination.name': 'chat.sessions.list' } });
          // The handler's own work (the key's lookup, the list) is part of it.
          expect(childrenOf(handled!).some((span) => span.scope === PG_SCOPE)).toBe(true);
        });
        expect(receiver.raw.join('\n')).not.toContain(apiKey);
      } finally {
        await client.close();
      }
    });
  });
});
