import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { MessageEvent } from '@nestjs/common';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { randomUUID } from 'node:crypto';
import { lastValueFrom, toArray } from 'rxjs';
import { chatTracer, ProviderRegistry } from '@app/ai';
import { FAKE_BASE_PATHS, FAKE_KEY } from '../../../../test/factories/provider.factory.js';
import { bootServices, type ServiceTestbed } from '../../../../test/helpers/service-testbed.js';
import type { GenerationPlan } from '../generations/generation.js';
import { GenerationsModule } from '../generations/generations.module.js';
import { GenerationsService } from '../generations/generations.service.js';
import { RedisModule } from '../redis/redis.module.js';
import { MetricsModule } from './metrics.module.js';
import { traceIds } from './pino.logger.js';
import { startTracing, type Tracing } from './tracing.js';

/**
 * The SDK as production starts it, with an in-memory exporter in place of OTLP. The http and pg instrumentations
 * patch through Node's require hooks, which Jest's module loader bypasses: the HTTP server and database spans
 * are checked on the built server (test/traces.e2e-spec.ts); here, our own spans.
 */
describe('traces of a turn (in-memory exporter, PGlite, fake upstream)', () => {
  const exporter = new InMemorySpanExporter();
  let tracing: Tracing;
  let bed: ServiceTestbed;
  let captured: ServiceTestbed;

  beforeAll(async () => {
    tracing = startTracing([new SimpleSpanProcessor(exporter)]);
    bed = await bootServices([MetricsModule, RedisModule, GenerationsModule]);
    captured = await bootServices([MetricsModule, RedisModule, GenerationsModule], { OTEL_GENAI_CAPTURE_CONTENT: 'true' });
  });
  afterAll(async () => {
    await bed?.close();
    await captured?.close();
    await tracing?.shutdown();
  });

  const plan = (testbed: ServiceTestbed, model: string, question: string): GenerationPlan => ({
    role: 'member',
    turn: {
      userId: testbed.userId,
      sessionId: randomUUID(),
      newSession: { title: 'Traced' },
      provider: 'openai',
      model,
      parentId: null,
      question: { id: randomUUID(), content: question },
      replyId: randomUUID(),
    },
    targets: [
      {
        providerId: 'openai',
        connectionId: null,
        cooldownKey: 'test',
        provider: testbed.module.get(ProviderRegistry).forProvider('openai'),
        request: { model, messages: [{ role: 'user', content: question }], temperature: 0.5, baseUrl: `${testbed.fake.url}${FAKE_BASE_PATHS.openai}`, apiKey: FAKE_KEY },
      },
    ],
    skipped: [],
    encoder: {
      start: (sessionId, messageId) => [{ type: 'start', data: { sessionId, messageId } }],
      delta: (content) => [{ type: 'delta', data: content }],
      reasoning: () => [],
      done: (messageId) => [{ type: 'done', data: { messageId } }],
      error: (code) => [{ type: 'error', data: { code } }],
    },
    persist: true,
    shared: true,
  });

  /** Runs one turn inside a span standing for the request that asks for it; its spans once the reply is saved. */
  async function tracedTurn(testbed: ServiceTestbed, started: GenerationPlan): Promise<{ request: ReadableSpan; spans: ReadableSpan[]; events: MessageEvent[] }> {
    exporter.reset();
    const { traceId, events } = await chatTracer.startActiveSpan('request', async (span) => {
      const generation = await testbed.module.get(GenerationsService).start(started);
      const all = await lastValueFrom(generation.events.pipe(toArray()));
      span.end();
      return { traceId: span.spanContext().traceId, events: all };
    });
    const spans = exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === traceId);
    return { request: spans.find((span) => span.name === 'request')!, spans, events };
  }

  const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
  const byName = (spans: ReadableSpan[], name: string) => spans.filter((span) => span.name === name);

  /** Every string a span exports: names, attribute values, status messages, events. */
  const exported = (spans: ReadableSpan[]) =>
    JSON.stringify(spans.map((span) => ({ name: span.name, attributes: span.attributes, status: span.status, events: span.events, resource: span.resource.attributes })));

  it('gives one turn a generation span under the request, and the upstream attempt under it, with the GenAI attributes', async () => {
    const question = `traced question ${randomUUID()}`;
    const started = plan(bed, 'fake:deltas=3', question);
    const { request, spans, events } = await tracedTurn(bed, started);
    expect(events.at(-1)?.type).toBe('done');

    const [generation] = byName(spans, 'generation');
    const [attempt] = byName(spans, 'chat fake:deltas=3');
    expect(generation).toBeDefined();
    expect(attempt).toBeDefined();
    expect(parentOf(generation!)).toBe(request.spanContext().spanId);
    expect(parentOf(attempt!)).toBe(generation!.spanContext().spanId);
    expect(attempt!.kind).toBe(SpanKind.CLIENT);

    expect(generation!.attributes).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'fake:deltas=3',
      'gen_ai.request.temperature': 0.5,
      'gen_ai.conversation.id': started.turn.sessionId,
      'chat.message.id': started.turn.replyId,
      'chat.reply.status': 'complete',
      'gen_ai.response.model': 'fake:deltas=3',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': expect.any(Number),
      'gen_ai.usage.output_tokens': 3,
    });
    expect(attempt!.attributes).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'fake:deltas=3',
      'http.request.method': 'POST',
      'http.response.status_code': 200,
      'server.address': '127.0.0.1',
      'server.port': Number(new URL(bed.fake.url).port),
    });
    expect(attempt!.endTime).not.toEqual(attempt!.startTime);

    // Neither the key nor the conversation: content is off by default.
    const text = exported(spans);
    for (const secret of [FAKE_KEY, 'Bearer', question, 'traced question']) expect(text).not.toContain(secret);
  });

  it('records a failed attempt by its code on both spans, never the key or what the provider said', async () => {
    // The fake's error body quotes the key it was sent, spelt out, with internals of its own.
    const { spans } = await tracedTurn(bed, plan(bed, 'fake:fail=401,leak=1', `failing ${randomUUID()}`));
    const [generation] = byName(spans, 'generation');
    const [attempt] = byName(spans, 'chat fake:fail=401,leak=1');
    for (const span of [generation!, attempt!]) {
      expect(span.attributes['error.type']).toBe('upstream_auth');
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
    }
    expect(attempt!.attributes['http.response.status_code']).toBe(401);
    const text = exported(spans);
    expect(text).not.toContain(FAKE_KEY);
    expect(text).not.toContain(FAKE_KEY.split('').join(' '));
    expect(text).not.toMatch(/sk-test|internal/i);
  });

  it('records the prompt and the reply only with OTEL_GENAI_CAPTURE_CONTENT=true, and still no key', async () => {
    const question = `captured question ${randomUUID()}`;
    const { spans, events } = await tracedTurn(captured, plan(captured, 'fake:deltas=2', question));
    const reply = events
      .filter((event) => event.type === 'delta')
      .map((event) => event.data as string)
      .join('');
    const [generation] = byName(spans, 'generation');
    expect(JSON.parse(generation!.attributes['gen_ai.input.messages'] as string)).toEqual([{ role: 'user', parts: [{ type: 'text', content: question }] }]);
    expect(JSON.parse(generation!.attributes['gen_ai.output.messages'] as string)).toEqual([
      { role: 'assistant', parts: [{ type: 'text', content: reply }], finish_reason: 'stop' },
    ]);
    expect(exported(spans)).not.toContain(FAKE_KEY);
  });

  it("gives log lines the active span's trace and span ids, and nothing outside a span", () => {
    expect(traceIds()).toEqual({});
    chatTracer.startActiveSpan('logging', (span) => {
      expect(traceIds()).toEqual({ trace_id: span.spanContext().traceId, span_id: span.spanContext().spanId });
      span.end();
    });
  });
});
