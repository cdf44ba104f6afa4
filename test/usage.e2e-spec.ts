import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { countTokens } from 'gpt-tokenizer';
import OpenAI from 'openai';
import { type FakeLlmServer, fakeUsage, parseBehaviour, replyText, startFakeLlm } from '../apps/fake-llm/src/fake-llm.server.js';
import { configureFakeProvider, FAKE_UPSTREAM_ENV } from './factories/provider.factory.js';
import { registerUser, type TestUser } from './factories/user.factory.js';
import { eventually } from './helpers/eventually.js';
import { readStream, type SseEvent } from './helpers/sse-client.js';
import { bootTestApp, type TestApp } from './helpers/test-app.js';

const ACCOUNTANT = 'accountant@example.com';
const PROVIDERS = ['openai', 'anthropic', 'gemini'] as const;
type Provider = (typeof PROVIDERS)[number];

/** Round prices, so expected costs are easy to follow: per million tokens. */
const PRICE = { currency: 'USD', inputPerMillion: '1.00', outputPerMillion: '2.00', cachedInputPerMillion: '0.50', reasoningPerMillion: '4.00' };

interface Tokens {
  prompt: number;
  completion: number;
  cached: number;
  reasoning: number;
}

/** The cost of `tokens` at PRICE as the server prints it (nine decimals), computed here in whole millionths. */
function costAtPrice({ prompt, completion, cached, reasoning }: Tokens): string {
  const halfMillionths = 2 * (prompt - cached) + cached + 4 * (completion - reasoning) + 8 * reasoning;
  return (halfMillionths / 2_000_000).toFixed(9);
}

describe('usage and cost: prices, what each reply used and cost, reports (e2e)', () => {
  let api: TestApp;
  let fake: FakeLlmServer;
  let admin: TestUser;
  let member: TestUser;

  const configured = async (who?: TestUser) => {
    const user = who ?? (await registerUser(api));
    for (const provider of PROVIDERS) await configureFakeProvider(api, user, provider, fake.url);
    return user;
  };
  const ask = (who: TestUser, body: Record<string, unknown>, until?: (event: SseEvent) => boolean) => readStream(`${api.url}/api/chat/stream`, { token: who.token, body, until });
  const messagesOf = async (who: TestUser, sessionId: string) => (await api.http().get(`/api/chat/sessions/${sessionId}/messages`).set(who.auth).expect(200)).body.messages;
  const replyOf = async (who: TestUser, sessionId: string) => (await messagesOf(who, sessionId)).find((message: { role: string }) => message.role === 'assistant');
  const createPrice = (body: Record<string, unknown>, who = admin) => api.http().post('/api/admin/prices').set(who.auth).send(body);

  beforeAll(async () => {
    fake = await startFakeLlm({ port: 0 });
    // Unstored replies' records wait long here: a report sees them only because it writes what waits first.
    api = await bootTestApp({ ...FAKE_UPSTREAM_ENV, ADMIN_EMAILS: ACCOUNTANT, USAGE_WRITE_DELAY_MS: '10000' });
    admin = await registerUser(api, { email: ACCOUNTANT });
    member = await configured();
    for (const provider of PROVIDERS) await createPrice({ ...PRICE, provider, model: 'priced', effectiveFrom: '2026-01-01T00:00:00Z' }).expect(201);
  });
  afterAll(async () => {
    await api?.close();
    await fake?.close();
  });
  beforeEach(() => fake.reset());

  describe('prices', () => {
    it('ships the catalogue list prices with their sources, and lets admins add, correct and delete prices (audited)', async () => {
      const seeded = (await api.http().get('/api/admin/prices?provider=openai&model=gpt-4o-mini').set(admin.auth).expect(200)).body.prices;
      expect(seeded).toEqual([
        expect.objectContaining({ provider: 'openai', model: 'gpt-4o-mini', currency: 'USD', inputPerMillion: '0.150000', outputPerMillion: '0.600000', source: expect.stringContaining('openai.com') }),
      ]);

      const created = (await createPrice({ ...PRICE, provider: 'openai', model: 'edited', inputPerMillion: 3, source: 'our contract' }).expect(201)).body;
      expect(created).toEqual(expect.objectContaining({ provider: 'openai', model: 'edited', inputPerMillion: '3.000000', cachedInputPerMillion: '0.500000', source: 'our contract' }));
      expect(Date.parse(created.effectiveFrom)).toBeLessThanOrEqual(Date.now());
      const changed = (await api.http().put(`/api/admin/prices/${created.id}`).set(admin.auth).send({ ...PRICE, outputPerMillion: '2.123456' }).expect(200)).body;
      expect(changed).toEqual(expect.objectContaining({ id: created.id, inputPerMillion: '1.000000', outputPerMillion: '2.123456', source: null }));
      await api.http().delete(`/api/admin/prices/${created.id}`).set(admin.auth).expect(200, { id: created.id, deleted: true });
      await api.http().delete(`/api/admin/prices/${created.id}`).set(admin.auth).expect(404);
      await api.http().put(`/api/admin/prices/${created.id}`).set(admin.auth).send(PRICE).expect(404);

      for (const action of ['price.created', 'price.updated', 'price.deleted']) {
        const events = (await api.http().get(`/api/admin/audit?action=${action}`).set(admin.auth).expect(200)).body.events;
        expect(events[0]).toEqual(expect.objectContaining({ actor: admin.id, target: created.id, detail: expect.objectContaining({ provider: 'openai', model: 'edited' }) }));
      }
    });

    it('refuses a second price for the same model from the same moment', async () => {
      const body = { ...PRICE, provider: 'openai', model: 'twice', effectiveFrom: '2026-06-01T00:00:00Z' };
      await createPrice(body).expect(201);
      expect((await createPrice(body).expect(409)).body).toEqual(expect.objectContaining({ statusCode: 409, code: 'PRICE_EXISTS' }));
    });

    it.each([
      [{ inputPerMillion: '-1' }, 'inputPerMillion'],
      [{ outputPerMillion: '0.0000001' }, 'outputPerMillion'],
      [{ cachedInputPerMillion: '10001' }, 'cachedInputPerMillion'],
      [{ reasoningPerMillion: 'NaN' }, 'reasoningPerMillion'],
      [{ inputPerMillion: 1e21 }, 'inputPerMillion'],
      [{ currency: 'usd' }, 'currency'],
      [{ currency: 'XYZ' }, 'currency'],
      [{ provider: 'nobody' }, 'provider'],
      [{ model: '=HYPERLINK("x")' }, 'model'],
      [{ model: 'x'.repeat(201) }, 'model'],
      [{ effectiveFrom: 'yesterday' }, 'effectiveFrom'],
      [{ effectiveFrom: '1999-01-01' }, 'effectiveFrom'],
      [{ source: 's'.repeat(501) }, 'source'],
      [{ extra: 1 }, 'extra'],
    ])('refuses %j with 400', async (change, field) => {
      const response = await createPrice({ ...PRICE, provider: 'openai', model: 'refused', ...change }).expect(400);
      expect(response.body).toEqual(expect.objectContaining({ statusCode: 400, error: 'Bad Request' }));
      expect(JSON.stringify(response.body.message)).toContain(field);
    });

    it('applies the price in force when the reply was asked for; a later price leaves recorded costs alone', async () => {
      const user = await configured();
      await createPrice({ ...PRICE, provider: 'openai', model: 'repriced', effectiveFrom: '2026-01-01T00:00:00Z' }).expect(201);
      const before = await ask(user, { provider: 'openai', model: 'repriced:deltas=2', message: 'one' });
      await createPrice({ ...PRICE, provider: 'openai', model: 'repriced', inputPerMillion: '100', outputPerMillion: '200' }).expect(201);
      const after = await ask(user, { provider: 'openai', model: 'repriced:deltas=2', message: 'two' });

      const [first, second] = await Promise.all([replyOf(user, before.events[0]!.data.sessionId), replyOf(user, after.events[0]!.data.sessionId)]);
      expect(first.usage.cost).toBe(costAtPrice({ prompt: first.usage.promptTokens, completion: 2, cached: 0, reasoning: 0 }));
      expect(Number(second.usage.cost)).toBeCloseTo(100 * Number(costAtPrice({ prompt: second.usage.promptTokens, completion: 2, cached: 0, reasoning: 0 })), 9);
    });
    it('charges a price dated ahead from its moment on, though the price in force is kept in memory', async () => {
      const user = await configured();
      await createPrice({ ...PRICE, provider: 'openai', model: 'dated-ahead', effectiveFrom: '2026-01-01T00:00:00Z' }).expect(201);
      const startsAt = new Date(Date.now() + 3000);
      await createPrice({ ...PRICE, provider: 'openai', model: 'dated-ahead', inputPerMillion: '100', outputPerMillion: '200', effectiveFrom: startsAt.toISOString() }).expect(201);
      const costOf = async () => {
        const result = await ask(user, { provider: 'openai', model: 'dated-ahead:deltas=2', message: 'same question' });
        return Number((await replyOf(user, result.events[0]!.data.sessionId)).usage.cost);
      };
      const before = await costOf();
      expect(await costOf()).toBe(before);
      await new Promise((done) => setTimeout(done, Math.max(0, startsAt.getTime() - Date.now()) + 50));
      expect(await costOf()).toBeCloseTo(100 * before, 9);
    });
  });

  describe('what each reply used and cost', () => {
    it.each(PROVIDERS)('records the tokens and cost %s reported in its stream, cached and reasoning tokens included', async (provider: Provider) => {
      const model = 'priced:deltas=4,cached=2,reasoning=3';
      const result = await ask(member, { provider, model, message: `what does this cost on ${provider}?` });
      expect(result.events.at(-1)!.event).toBe('done');
      const sent = fake.requests.find((request) => request.provider === provider)!;
      const reported = fakeUsage(sent.body, parseBehaviour(model), 4)!;
      // Anthropic counts thinking inside its output tokens and reports no count of its own for it.
      const expected = { prompt: reported.prompt, completion: 4 + 3, cached: 2, reasoning: provider === 'anthropic' ? 0 : 3 };

      const reply = await replyOf(member, result.events[0]!.data.sessionId);
      expect(reply.usage).toEqual({
        promptTokens: expected.prompt,
        completionTokens: expected.completion,
        cachedPromptTokens: expected.cached,
        reasoningTokens: expected.reasoning,
        estimated: false,
        cost: costAtPrice(expected),
        currency: 'USD',
      });
      const question = (await messagesOf(member, result.events[0]!.data.sessionId)).find((message: { role: string }) => message.role === 'user');
      expect(question.usage).toBeNull();
    });

    it('estimates the tokens with a tokenizer when the provider sends none, and says so', async () => {
      const result = await ask(member, { provider: 'openai', model: 'priced:deltas=6,nousage=1', message: 'count for me' });
      expect(result.events.at(-1)!.event).toBe('done');
      const reply = await replyOf(member, result.events[0]!.data.sessionId);
      const completion = countTokens(replyText(6));
      expect(reply.usage).toEqual(expect.objectContaining({ completionTokens: completion, cachedPromptTokens: 0, reasoningTokens: 0, estimated: true, currency: 'USD' }));
      // The question's own tokens plus the chat framing.
      expect(reply.usage.promptTokens).toBeGreaterThan(countTokens('count for me'));
      expect(reply.usage.cost).toBe(costAtPrice({ prompt: reply.usage.promptTokens, completion, cached: 0, reasoning: 0 }));
    });

    it('records what a stopped reply used: the text so far, estimated', async () => {
      const started = await ask(member, { provider: 'anthropic', model: 'priced:deltas=400,delay=20', message: 'go on and on', detach: true }, (event) => event.event === 'message');
      const sessionId = started.events[0]!.data.sessionId as string;
      await eventually(() => expect(fake.requests[0]?.deltasWritten).toBeGreaterThan(3));
      await api.http().post(`/api/chat/sessions/${sessionId}/stop`).set(member.auth).expect(200);

      const reply = await eventually(async () => {
        const found = await replyOf(member, sessionId);
        expect(found.status).toBe('aborted');
        expect(found.usage).not.toBeNull();
        return found;
      });
      expect(reply.content.length).toBeGreaterThan(0);
      expect(reply.usage).toEqual(expect.objectContaining({ completionTokens: countTokens(reply.content), estimated: true, currency: 'USD' }));
      expect(reply.usage.promptTokens).toBeGreaterThan(0);
    });

    it('records a reply that failed before its first token as nothing used', async () => {
      const result = await ask(member, { provider: 'gemini', model: 'priced:fail=500', message: 'fail please' });
      expect(result.events.at(-1)!.event).toBe('error');
      const reply = await replyOf(member, result.events[0]!.data.sessionId);
      expect(reply.usage).toEqual({ promptTokens: 0, completionTokens: 0, cachedPromptTokens: 0, reasoningTokens: 0, estimated: true, cost: '0.000000000', currency: 'USD' });
    });

    it('records a reply of a model without a price with its tokens and no cost', async () => {
      const result = await ask(member, { provider: 'openai', model: 'unpriced:deltas=2', message: 'free?' });
      const reply = await replyOf(member, result.events[0]!.data.sessionId);
      expect(reply.usage).toEqual(expect.objectContaining({ completionTokens: 2, estimated: false, cost: null, currency: null }));
    });

    it('keeps the spend of a deleted session, and of /v1 turns that are not stored', async () => {
      const user = await configured();
      const chat = await ask(user, { provider: 'openai', model: 'priced:deltas=3', message: 'soon gone' });
      await api.http().delete(`/api/chat/sessions/${chat.events[0]!.data.sessionId}`).set(user.auth).expect(200);

      const key = (await api.http().post('/api/keys').set(user.auth).send({ name: 'off the record' }).expect(201)).body.key as string;
      const client = new OpenAI({ apiKey: key, baseURL: `${api.url}/v1`, maxRetries: 0 });
      // Three at once: their records are written together (UsageRecordBatcher), and the report waits for them.
      const completions = await Promise.all(
        [1, 2, 3].map(() => client.chat.completions.create({ model: 'anthropic/priced:deltas=5', messages: [{ role: 'user', content: 'not stored' }], store: false })),
      );
      expect(completions.map((completion) => completion.choices[0]!.message.content)).toEqual([replyText(5), replyText(5), replyText(5)]);
      expect((await api.http().get('/api/chat/sessions').set(user.auth).expect(200)).body.sessions).toEqual([]);

      const report = (await api.http().get('/api/usage?groupBy=model').set(user.auth).expect(200)).body;
      expect(report.rows).toEqual([
        expect.objectContaining({ key: 'anthropic/priced:deltas=5', replies: 3, completionTokens: 15, currency: 'USD', estimatedReplies: 0 }),
        expect.objectContaining({ key: 'openai/priced:deltas=3', replies: 1, completionTokens: 3, currency: 'USD' }),
      ]);
    });
  });

  describe('reports', () => {
    let reporter: TestUser;
    let replies: { provider: Provider; usage: { promptTokens: number; completionTokens: number; cost: string } }[];

    beforeAll(async () => {
      reporter = await configured();
      replies = [];
      for (const [provider, deltas] of [
        ['openai', 2],
        ['openai', 3],
        ['anthropic', 4],
      ] as const) {
        const result = await ask(reporter, { provider, model: `priced:deltas=${deltas}`, message: `report ${provider} ${deltas}` });
        replies.push({ provider, usage: (await replyOf(reporter, result.events[0]!.data.sessionId)).usage });
      }
    });

    const sum = (of: typeof replies, pick: (usage: (typeof replies)[number]['usage']) => number) => of.reduce((total, reply) => total + pick(reply.usage), 0);
    const costSum = (of: typeof replies) => (sum(of, (usage) => Math.round(Number(usage.cost) * 1e9)) / 1e9).toFixed(9);

    it('sums the caller’s replies per provider, model and day, this month by default', async () => {
      const byProvider = (await api.http().get('/api/usage?groupBy=provider').set(reporter.auth).expect(200)).body;
      const openai = replies.filter((reply) => reply.provider === 'openai');
      const anthropic = replies.filter((reply) => reply.provider === 'anthropic');
      expect(byProvider).toEqual({
        from: expect.any(String),
        to: expect.any(String),
        groupBy: 'provider',
        truncated: false,
        rows: [
          {
            key: 'anthropic',
            currency: 'USD',
            cost: costSum(anthropic),
            replies: 1,
            estimatedReplies: 0,
            promptTokens: sum(anthropic, (usage) => usage.promptTokens),
            completionTokens: 4,
            cachedPromptTokens: 0,
            reasoningTokens: 0,
          },
          {
            key: 'openai',
            currency: 'USD',
            cost: costSum(openai),
            replies: 2,
            estimatedReplies: 0,
            promptTokens: sum(openai, (usage) => usage.promptTokens),
            completionTokens: 5,
            cachedPromptTokens: 0,
            reasoningTokens: 0,
          },
        ],
      });
      const now = new Date();
      expect(byProvider.from).toBe(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString());

      const byModel = (await api.http().get('/api/usage?groupBy=model').set(reporter.auth).expect(200)).body.rows;
      expect(byModel.map((row: { key: string }) => row.key)).toEqual(['anthropic/priced:deltas=4', 'openai/priced:deltas=2', 'openai/priced:deltas=3']);

      const today = now.toISOString().slice(0, 10);
      const byDay = (await api.http().get(`/api/usage?groupBy=day&from=${today}`).set(reporter.auth).expect(200)).body.rows;
      expect(byDay).toEqual([expect.objectContaining({ key: today, replies: 3, completionTokens: 9, cost: costSum(replies) })]);
      // A range without the replies has no rows.
      expect((await api.http().get('/api/usage?from=2026-01-01&to=2026-02-01').set(reporter.auth).expect(200)).body.rows).toEqual([]);
    });

    it('sends CSV when asked, one row per group with a header', async () => {
      const response = await api.http().get('/api/usage?groupBy=provider').set(reporter.auth).set('Accept', 'text/csv').expect(200);
      expect(response.headers['content-type']).toMatch(/^text\/csv/);
      expect(response.headers['content-disposition']).toMatch(/^attachment; filename="usage-provider-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.csv"$/);
      const lines = response.text.trim().split('\n');
      expect(lines[0]).toBe('provider,currency,cost,replies,estimated_replies,prompt_tokens,completion_tokens,cached_prompt_tokens,reasoning_tokens');
      expect(lines.slice(1).map((line) => line.split(',').slice(0, 4))).toEqual([
        ['anthropic', 'USD', costSum(replies.filter((reply) => reply.provider === 'anthropic')), '1'],
        ['openai', 'USD', costSum(replies.filter((reply) => reply.provider === 'openai')), '2'],
      ]);
    });

    it('gives admins everyone’s usage per user (with e-mails), or one user’s, as JSON or CSV', async () => {
      const byUser = (await api.http().get('/api/admin/usage?groupBy=user').set(admin.auth).expect(200)).body.rows;
      expect(byUser).toContainEqual(expect.objectContaining({ key: reporter.id, email: reporter.email, replies: 3, completionTokens: 9, cost: costSum(replies), currency: 'USD' }));
      expect(byUser.find((row: { key: string }) => row.key === member.id)).toEqual(expect.objectContaining({ email: member.email }));

      const onlyReporter = (await api.http().get(`/api/admin/usage?groupBy=provider&userId=${reporter.id}`).set(admin.auth).expect(200)).body.rows;
      expect(onlyReporter.map((row: { key: string; replies: number }) => [row.key, row.replies])).toEqual([
        ['anthropic', 1],
        ['openai', 2],
      ]);

      const csv = await api.http().get(`/api/admin/usage?userId=${reporter.id}`).set(admin.auth).set('Accept', 'text/csv').expect(200);
      expect(csv.headers['content-type']).toMatch(/^text\/csv/);
      expect(csv.text.trim().split('\n')).toEqual([
        'user,email,currency,cost,replies,estimated_replies,prompt_tokens,completion_tokens,cached_prompt_tokens,reasoning_tokens',
        expect.stringMatching(new RegExp(`^${reporter.id},${reporter.email},USD,${costSum(replies)},3,0,\\d+,9,0,0$`)),
      ]);
    });

    it('defuses spreadsheet formulas in user-controlled cells of the CSV', async () => {
      const sly = await configured(await registerUser(api, { email: `=cmd+${Date.now()}@example.com` }));
      await ask(sly, { provider: 'openai', model: 'priced:deltas=1', message: 'sly' });
      const csv = await api.http().get(`/api/admin/usage?userId=${sly.id}`).set(admin.auth).set('Accept', 'text/csv').expect(200);
      expect(csv.text.split('\n')[1]).toMatch(new RegExp(`^${sly.id},'=cmd\\+`));
    });

    it.each([
      ['from=yesterday', 'from'],
      ['from=2026-13-01', 'from'],
      ['from=2026-02-30T00:00:00Z', 'from'],
      ['from=2026-01-01T00:00:00', 'from'],
      ['from=2026-03-01&to=2026-02-01', 'to must be after from'],
      ['from=2025-01-01&to=2026-06-01', '366 days'],
      ['from=1900-01-01&to=1900-02-01', 'from'],
      ['groupBy=user', 'groupBy'],
      ['groupBy=session', 'groupBy'],
      [`userId=00000000-0000-0000-0000-000000000000`, 'userId'],
    ])('refuses ?%s with 400', async (query, text) => {
      const response = await api.http().get(`/api/usage?${query}`).set(reporter.auth).expect(400);
      expect(JSON.stringify(response.body)).toContain(text);
    });

    it('refuses an admin report for a user id that is not a UUID', async () => {
      await api.http().get('/api/admin/usage?userId=me').set(admin.auth).expect(400);
    });
  });

  describe('access', () => {
    it('keeps every admin price and usage route from members (403) and from the signed-out (401)', async () => {
      const id = '00000000-0000-0000-0000-000000000000';
      const calls = [
        () => api.http().get('/api/admin/prices'),
        () => api.http().post('/api/admin/prices').send({ ...PRICE, provider: 'openai', model: 'mine' }),
        () => api.http().put(`/api/admin/prices/${id}`).send(PRICE),
        () => api.http().delete(`/api/admin/prices/${id}`),
        () => api.http().get('/api/admin/usage'),
      ];
      for (const call of calls) {
        expect((await call().set(member.auth).expect(403)).body).toEqual(expect.objectContaining({ statusCode: 403 }));
        await call().expect(401);
      }
      await api.http().get('/api/usage').expect(401);
    });

    it('never shows one user another user’s usage', async () => {
      const [owner, stranger] = await Promise.all([configured(), registerUser(api)]);
      const result = await ask(owner, { provider: 'openai', model: 'priced:deltas=2', message: 'mine alone' });
      const sessionId = result.events[0]!.data.sessionId as string;
      expect((await api.http().get('/api/usage').set(owner.auth).expect(200)).body.rows).toHaveLength(1);
      for (const groupBy of ['day', 'model', 'provider']) {
        expect((await api.http().get(`/api/usage?groupBy=${groupBy}`).set(stranger.auth).expect(200)).body.rows).toEqual([]);
      }
      await api.http().get(`/api/chat/sessions/${sessionId}/messages`).set(stranger.auth).expect(404);
      await api.http().get(`/api/usage?userId=${owner.id}`).set(stranger.auth).expect(400);
    });
  });
});
