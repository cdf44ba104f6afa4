import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { MessageEvent } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { filter, firstValueFrom, lastValueFrom, shareReplay, toArray } from 'rxjs';
import type { ProviderId } from '@app/ai';
import type { GenerationPlan, RouteTarget } from './generation.js';
import type { ReplyEncoder } from './reply-encoder.js';
import { ProviderRegistry } from '@app/ai';
import { AppError } from '@app/common';
import { ChatTurnsRepository, MessagesRepository, UsageRecordsRepository } from '@app/persistence';
import { reasoningText, replyText, sizedDeltaText, startFakeLlm } from '../../../fake-llm/src/fake-llm.server.js';
import { FAKE_BASE_PATHS, FAKE_KEY } from '../../../../test/factories/provider.factory.js';
import { bootServices, type ServiceTestbed } from '../../../../test/helpers/service-testbed.js';
import { MetricsModule } from '../observability/metrics.module.js';
import { PriceBook } from '../usage/price-book.service.js';
import { RedisModule } from '../redis/redis.module.js';
import { GenerationsModule } from './generations.module.js';
import { GenerationsService } from './generations.service.js';
import { RouteCooldowns } from './route-cooldowns.js';

const MAX_REPLY_CHARS = 1000;

/** The generation's moments as plain events: what any protocol's encoder is handed. */
const plainEncoder = (): ReplyEncoder => ({
  start: (sessionId, messageId) => [{ type: 'start', data: { sessionId, messageId } }],
  delta: (content) => [{ type: 'delta', data: content }],
  reasoning: ({ text }) => (text ? [{ type: 'reasoning', data: text }] : []),
  done: (messageId, usage, _ms, stopped) => [{ type: 'done', data: { messageId, usage, stopped } }],
  error: (code, error) => [{ type: 'error', data: { code, error } }],
});

const text = (events: MessageEvent[]) =>
  events
    .filter((event) => event.type === 'delta')
    .map((event) => event.data as string)
    .join('');

describe('GenerationsService (PGlite, fake upstream)', () => {
  let bed: ServiceTestbed;
  let generations: GenerationsService;
  let messages: InstanceType<typeof MessagesRepository>;

  beforeAll(async () => {
    bed = await bootServices([MetricsModule, RedisModule, GenerationsModule], { CHAT_MAX_REPLY_CHARS: String(MAX_REPLY_CHARS) });
    generations = bed.module.get(GenerationsService);
    messages = bed.module.get(MessagesRepository);
  });
  afterAll(() => bed?.close());

  /** One place to ask, on the fake upstream: its OpenAI format unless told otherwise. */
  const target = (model: string, provider: ProviderId = 'openai', baseUrl?: string): RouteTarget => ({
    providerId: provider,
    connectionId: null,
    cooldownKey: `test:${provider}:${model}`,
    provider: bed.module.get(ProviderRegistry).forProvider(provider),
    request: {
      model,
      messages: [{ role: 'user', content: 'Say something' }],
      baseUrl: baseUrl ?? `${bed.fake.url}${FAKE_BASE_PATHS[provider as keyof typeof FAKE_BASE_PATHS] ?? FAKE_BASE_PATHS.openai}`,
      apiKey: FAKE_KEY,
    },
  });

  /** A new session's first turn against the fake upstream's OpenAI format, unless told otherwise. */
  const plan = (model: string, options: { provider?: ProviderId; baseUrl?: string; shared?: boolean } = {}): GenerationPlan => {
    const provider = options.provider ?? 'openai';
    return {
      role: 'member',
      turn: {
        userId: bed.userId,
        sessionId: randomUUID(),
        newSession: { title: 'A test' },
        provider,
        model,
        parentId: null,
        question: { id: randomUUID(), content: 'Say something' },
        replyId: randomUUID(),
      },
      targets: [target(model, provider, options.baseUrl)],
      skipped: [],
      encoder: plainEncoder(),
      persist: true,
      shared: options.shared ?? true,
    };
  };
  const replyRow = async (plan: GenerationPlan) =>
    (await messages.listOwned(bed.userId, plan.turn.sessionId)).find((message) => message.id === plan.turn.replyId);

  describe('retries and fallback before the first byte', () => {
    const modelsAsked = () => bed.fake.requests.map((request) => request.model);
    const run = async (started: GenerationPlan) => lastValueFrom((await generations.start(started)).events.pipe(toArray()));

    it('a 500 from the first target: the second answers, one clean stream, one saved reply, two upstream calls', async () => {
      bed.fake.reset();
      const started = { ...plan('fake:fail=500'), targets: [target('fake:fail=500'), target('fake:deltas=3', 'anthropic')] };
      const events = await run(started);
      expect(events.map((event) => event.type)).toEqual(['start', 'delta', 'delta', 'delta', 'done']);
      expect(text(events)).toBe(replyText(3));
      expect(modelsAsked()).toEqual(['fake:fail=500', 'fake:deltas=3']);
      const row = await replyRow(started);
      expect(row).toMatchObject({ status: 'complete', content: replyText(3), provider: 'anthropic', model: 'fake:deltas=3' });
      expect(row?.attempts).toEqual([
        { provider: 'openai', connection: null, model: 'fake:fail=500', status: 'failed', code: 'upstream_error', ms: expect.any(Number) },
        { provider: 'anthropic', connection: null, model: 'fake:deltas=3', status: 'ok', ms: expect.any(Number) },
      ]);
    });

    it('a 429 with Retry-After on the only target: asked once more after the wait', async () => {
      bed.fake.reset();
      const model = `fake:fail=429,retry=1,times=1,deltas=2,id=${randomUUID()}`;
      const started = plan(model);
      const events = await run(started);
      expect(events.at(-1)?.type).toBe('done');
      expect(text(events)).toBe(replyText(2));
      expect(modelsAsked()).toEqual([model, model]);
      expect((await replyRow(started))?.attempts?.map((attempt) => [attempt.status, attempt.code])).toEqual([
        ['failed', 'upstream_rate_limited'],
        ['ok', undefined],
      ]);
    });

    it('a 429 whose Retry-After is beyond the cap is final', async () => {
      bed.fake.reset();
      const started = plan('fake:fail=429,retry=3600');
      const events = await run(started);
      expect(events.at(-1)).toMatchObject({ type: 'error', data: { code: 'upstream_rate_limited' } });
      expect(bed.fake.requests).toHaveLength(1);
    });

    it('a break after the first delta does not fall back: the error and the partial reply, as before', async () => {
      bed.fake.reset();
      const started = { ...plan('fake:delay=50,break=1'), targets: [target('fake:delay=50,break=1'), target('fake:deltas=3')] };
      const events = await run(started);
      expect(events.at(-1)).toMatchObject({ type: 'error' });
      expect(text(events)).toBe(replyText(1));
      expect(modelsAsked()).toEqual(['fake:delay=50,break=1']);
      expect(await replyRow(started)).toMatchObject({ status: 'error', content: replyText(1) });
    });

    it('a refused key (401) is not retried, but its connection cools down', async () => {
      bed.fake.reset();
      const failing = target('fake:fail=401');
      const started = { ...plan('fake:fail=401'), targets: [failing, target('fake:deltas=3')] };
      const events = await run(started);
      expect(events.at(-1)).toMatchObject({ type: 'error', data: { code: 'upstream_auth' } });
      expect(bed.fake.requests).toHaveLength(1);
      expect(await bed.module.get(RouteCooldowns).coolingAmong([failing.cooldownKey, 'test:other'])).toEqual(new Set([failing.cooldownKey]));
    });
  });

  it('reads a session again when no turn is marked unwritten any more: the mark may have gone with the write since the first read', async () => {
    // The first read ran just before another replica's write committed; its mark was deleted before the look-up.
    const rows = [null, { id: 'written' }];
    const read = jest.fn(async () => rows.shift() ?? null);
    expect(await generations.readRecorded(bed.userId, randomUUID(), read)).toEqual({ id: 'written' });
    expect(read).toHaveBeenCalledTimes(2);
  });

  it('relays a reply as events and saves it complete, with its question', async () => {
    const started = plan('fake:deltas=5');
    const generation = await generations.start(started);
    const events = await lastValueFrom(generation.events.pipe(toArray()));
    expect(events.map((event) => event.type)).toEqual(['start', 'delta', 'delta', 'delta', 'delta', 'delta', 'done']);
    const rows = await messages.listOwned(bed.userId, started.turn.sessionId);
    expect(rows.map((row) => [row.role, row.status])).toEqual([
      ['user', 'complete'],
      ['assistant', 'complete'],
    ]);
    expect(rows[1]!.content).toBe(text(events));
    expect(generation.status).toBe('complete');
  });

  it('stops a running reply on request: the upstream is closed and the partial reply saved as aborted', async () => {
    const started = plan('fake:deltas=1000,delay=20');
    const generation = await generations.start(started);
    const all = lastValueFrom(generation.events.pipe(toArray()));
    await firstValueFrom(generation.events.pipe(filter((event) => event.type === 'delta')));
    expect(await generations.stop(bed.userId, started.turn.sessionId)).toBe(true);
    const events = await all;
    expect(events.at(-1)).toMatchObject({ type: 'done', data: { stopped: 'user' } });
    expect(await replyRow(started)).toMatchObject({ status: 'aborted', errorCode: 'stopped', content: text(events) });
    await bed.fake.requests.find((request) => request.model.startsWith('fake:deltas=1000'))!.closed;
    // Idempotent: nothing runs in the session any more.
    expect(await generations.stop(bed.userId, started.turn.sessionId)).toBe(false);
  });

  it("ends all of a user's running replies with session_revoked, each saved as aborted with that code, and no one else's", async () => {
    const mine = [plan('fake:deltas=1000,delay=20'), plan('fake:deltas=1000,delay=20', { shared: false })];
    const started = await Promise.all(mine.map((each) => generations.start(each)));
    const othersPlan = plan('fake:deltas=20,delay=5');
    const someoneElse = await generations.start({ ...othersPlan, turn: { ...othersPlan.turn, userId: bed.otherUserId } });
    // One reader each: a reply that is not shared (a /v1 turn's) gives its events to one reader only.
    const streams = started.map((generation) => generation.events.pipe(shareReplay()));
    const ends = streams.map((events) => lastValueFrom(events.pipe(toArray())));
    await Promise.all(streams.map((events) => firstValueFrom(events.pipe(filter((event) => event.type === 'delta')))));

    expect(await generations.stopUser(bed.userId)).toBe(2);
    for (const [index, events] of (await Promise.all(ends)).entries()) {
      expect(events.at(-1)).toMatchObject({ type: 'error', data: { code: 'session_revoked' } });
      expect(await replyRow(mine[index]!)).toMatchObject({ status: 'aborted', errorCode: 'session_revoked', content: text(events) });
    }
    expect((await lastValueFrom(someoneElse.events.pipe(toArray()))).at(-1)?.type).toBe('done');
    expect(await generations.stopUser(bed.userId)).toBe(0);
  });

  it('refuses a second reply in a session while one runs (409), and takes one once it has ended', async () => {
    const first = plan('fake:deltas=1000,delay=20');
    const generation = await generations.start(first);
    const second = { ...plan('fake:deltas=1'), turn: { ...first.turn, replyId: randomUUID(), question: undefined, newSession: undefined } };
    const refused = await generations.start(second).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(AppError);
    expect(refused).toMatchObject({ code: 'GENERATION_IN_PROGRESS' });
    expect(await generations.claim(first.turn.sessionId, randomUUID(), first.turn.userId)).toBe(false);
    await generation.stop('user');
    await lastValueFrom(generation.events, { defaultValue: undefined });
    const again = await generations.start({ ...second, turn: { ...second.turn, replyId: randomUUID() } });
    expect((await lastValueFrom(again.events.pipe(toArray()))).at(-1)?.type).toBe('done');
  });

  it('cuts a reply off exactly at CHAT_MAX_REPLY_CHARS and saves that much as failed (upstream_too_large)', async () => {
    const started = plan('fake:deltas=20,size=300');
    const events = await lastValueFrom((await generations.start(started)).events.pipe(toArray()));
    expect(events.at(-1)).toMatchObject({ type: 'error', data: { code: 'upstream_too_large' } });
    expect(text(events)).toHaveLength(MAX_REPLY_CHARS);
    expect(text(events)).toBe(Array.from({ length: 4 }, (_, i) => sizedDeltaText(i, 300)).join('').slice(0, MAX_REPLY_CHARS));
    expect(await replyRow(started)).toMatchObject({ status: 'error', errorCode: 'upstream_too_large', content: text(events) });
  });

  it('counts reasoning toward CHAT_MAX_REPLY_CHARS, and saves the reasoning kept as a part, not as content', async () => {
    const started = plan('fake:deltas=5,reasoning=100');
    const events = await lastValueFrom((await generations.start(started)).events.pipe(toArray()));
    expect(events.at(-1)).toMatchObject({ type: 'error', data: { code: 'upstream_too_large' } });
    const reasoning = events.flatMap((event) => (event.type === 'reasoning' ? [event.data as string] : [])).join('');
    expect(reasoning).toBe(reasoningText(100).slice(0, MAX_REPLY_CHARS));
    expect(await replyRow(started)).toMatchObject({ status: 'error', content: '', parts: [{ type: 'reasoning', text: reasoning }] });
  });

  it('saves a reply whose charge cannot be worked out, counted as nothing used, unpriced', async () => {
    const prices = bed.module.get(PriceBook);
    const malformed = { id: randomUUID(), provider: 'openai', model: 'fake:deltas=2', effectiveFrom: new Date(0), currency: 'USD', inputPerMillion: 'not a number', outputPerMillion: '1', cachedInputPerMillion: '1', reasoningPerMillion: '1' };
    const priceOf = jest.spyOn(prices, 'priceOf').mockResolvedValue(malformed);
    try {
      const started = plan('fake:deltas=2');
      const events = await lastValueFrom((await generations.start(started)).events.pipe(toArray()));
      expect(events.at(-1)?.type).toBe('done');
      expect(await replyRow(started)).toMatchObject({ status: 'complete', content: replyText(2) });
      const [usage] = await bed.module.get(UsageRecordsRepository).listOwnedForSession(bed.userId, started.turn.sessionId);
      expect(usage).toMatchObject({ messageId: started.turn.replyId, promptTokens: 0, completionTokens: 0, estimated: true, cost: null, currency: null });
    } finally {
      priceOf.mockRestore();
    }
  });

  it('saves a reply whose upstream failed as error, with the upstream code', async () => {
    const started = plan('fake:fail=500');
    const events = await lastValueFrom((await generations.start(started)).events.pipe(toArray()));
    expect(events.at(-1)).toMatchObject({ type: 'error', data: { code: 'upstream_error' } });
    expect(await replyRow(started)).toMatchObject({ status: 'error', errorCode: 'upstream_error' });
  });

  describe("the turn's write and the upstream request", () => {
    const order: string[] = [];
    const onRequestSent = ({ request }: { request: { path: string } }) => order.push(`request sent ${request.path}`);
    beforeAll(() => {
      subscribe('undici:request:bodySent', onRequestSent as (message: unknown) => void);
    });
    afterAll(() => {
      unsubscribe('undici:request:bodySent', onRequestSent as (message: unknown) => void);
    });

    /** Records the moment the turn's rows are written, through the repository the module injects. */
    const recordTurnWrites = () => {
      const turns = bed.module.get(ChatTurnsRepository);
      const write = turns.beginTurn.bind(turns);
      return jest.spyOn(turns, 'beginTurn').mockImplementation((turn) => {
        order.push('turn written');
        return write(turn);
      });
    };

    it('writes the turn only once the request has left for the provider, on a new connection too', async () => {
      // A port of its own: no kept-alive connection to it, so the request waits for a connect first.
      const upstream = await startFakeLlm({ port: 0 });
      const spy = recordTurnWrites();
      try {
        order.length = 0;
        const started = plan('fake:deltas=2', { baseUrl: `${upstream.url}${FAKE_BASE_PATHS.openai}` });
        await lastValueFrom((await generations.start(started)).events.pipe(toArray()));
        expect(order).toEqual(['request sent /v1/chat/completions', 'turn written']);
        expect((await replyRow(started))?.status).toBe('complete');
      } finally {
        spy.mockRestore();
        await upstream.close();
      }
    });

    it('writes the turn when no request is ever sent: a provider without one (echo), or a connection refused', async () => {
      const spy = recordTurnWrites();
      try {
        order.length = 0;
        const echo = plan('echo', { provider: 'echo' });
        expect((await lastValueFrom((await generations.start(echo)).events.pipe(toArray()))).at(-1)?.type).toBe('done');
        expect((await replyRow(echo))?.status).toBe('complete');

        // Port 1: nothing listens there, the connection is refused before any request is written.
        const refused = plan('fake:deltas=2', { baseUrl: 'http://127.0.0.1:1/v1' });
        const events = await lastValueFrom((await generations.start(refused)).events.pipe(toArray()));
        expect(events.at(-1)).toMatchObject({ type: 'error', data: { code: 'upstream_error' } });
        expect(await replyRow(refused)).toMatchObject({ status: 'error', errorCode: 'upstream_error' });
        expect(order).toEqual(['turn written', 'turn written']);
      } finally {
        spy.mockRestore();
      }
    });
  });
});
