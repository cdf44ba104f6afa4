import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { type FakeLlmServer, startFakeLlm } from '../apps/fake-llm/src/fake-llm.server.js';
import { bootWithAdmin } from './factories/admin.factory.js';
import { configureFakeProvider, FAKE_UPSTREAM_ENV } from './factories/provider.factory.js';
import { registerUser, type TestUser } from './factories/user.factory.js';
import { eventually } from './helpers/eventually.js';
import { readStream } from './helpers/sse-client.js';
import { describeWith, POSTGRES, REDIS } from './helpers/suite-requirements.js';
import { bootTestApp, type TestApp } from './helpers/test-app.js';

/**
 * Every model of this suite is priced through the stem `budget` (`budget-x:deltas=4` is `budget` with the fake
 * upstream's knobs): prompts free, 0.01 USD an output token. A reply of 4 deltas costs 0.04; its worst case, with
 * BUDGET_MAX_OUTPUT_TOKENS=10 and no maximum of its own, is 0.10.
 */
const ENV = { ...FAKE_UPSTREAM_ENV, BUDGET_MAX_OUTPUT_TOKENS: '10' };
const PRICE = { model: 'budget', currency: 'USD', inputPerMillion: '0', outputPerMillion: '10000', cachedInputPerMillion: '0', reasoningPerMillion: '0' };
const QUICK = 'budget-x:deltas=4';
const money = (amount: number) => amount.toFixed(9);

interface Budget {
  period: string;
  currency: string;
  monthlyLimit: string | null;
  source: 'user' | 'role' | null;
  spent: string;
  reserved: string;
  remaining: string | null;
  resetsAt: string;
}

/** The suite's setting on one server (or on the first of two sharing a database). */
async function priceTheFakeModels(api: TestApp, admin: TestUser) {
  for (const provider of ['openai', 'anthropic']) await api.http().post('/api/admin/prices').set(admin.auth).send({ ...PRICE, provider }).expect(201);
}

const budgetOf = async (api: TestApp, user: TestUser): Promise<Budget> => (await api.http().get('/api/usage/budget').set(user.auth).expect(200)).body;

const setBudget = (api: TestApp, admin: TestUser, user: TestUser, monthlyLimit: string) =>
  api.http().put(`/api/admin/users/${user.id}/budget`).set(admin.auth).send({ monthlyLimit }).expect(200);

const send = (api: TestApp, user: TestUser, model = QUICK, message = 'hello') =>
  readStream(`${api.url}/api/chat/stream`, { token: user.token, body: { message, provider: 'openai', model } });

/** A member with the fake upstream configured for OpenAI and Anthropic, and an OpenAI client on their own key. */
async function member(api: TestApp, fake: FakeLlmServer) {
  const user = await registerUser(api);
  await configureFakeProvider(api, user, 'openai', fake.url);
  await configureFakeProvider(api, user, 'anthropic', fake.url);
  const key = (await api.http().post('/api/keys').set(user.auth).send({ name: 'sdk' }).expect(201)).body.key as string;
  return { user, key, openai: new OpenAI({ apiKey: key, baseURL: `${api.url}/v1`, maxRetries: 0 }) };
}

/**
 * 50 replies at once against a budget with room for 10 worst cases (1.00 USD, 0.10 each), spread over `replicas`:
 * every one is either answered in full or refused with 402 before any event, and the spend stays within the budget
 * plus one reply's worst case. Each answered reply costs 0.04; a refusal means ten were held or spent at the time.
 */
async function fiftyAtOnce(replicas: TestApp[], admin: TestUser, fake: FakeLlmServer) {
  const { user } = await member(replicas[0]!, fake);
  await setBudget(replicas[0]!, admin, user, '1.00');
  const before = fake.requests.length;
  const results = await Promise.all(Array.from({ length: 50 }, (_, i) => send(replicas[i % replicas.length]!, user, 'budget-x:deltas=4,delay=100', `question ${i}`)));
  const answered = results.filter((result) => result.status === 200);
  const refused = results.filter((result) => result.status !== 200);
  for (const result of refused) expect([result.status, result.body.code, result.events]).toEqual([402, 'BUDGET_EXCEEDED', []]);
  for (const result of answered) expect(result.events.at(-1)!.event).toBe('done');
  expect(answered.length).toBeGreaterThanOrEqual(10);
  expect(refused.length).toBeGreaterThan(0);
  // A refused reply never reached the upstream.
  expect(fake.requests.length - before).toBe(answered.length);
  const settled = await eventually(async () => {
    const budget = await budgetOf(replicas[0]!, user);
    expect(budget.reserved).toBe(money(0));
    return budget;
  });
  expect(settled.spent).toBe(money(answered.length * 0.04));
  expect(Number(settled.spent)).toBeLessThanOrEqual(1.0 + 0.1);
}

describe('budgets (e2e)', () => {
  let api: TestApp;
  let admin: TestUser;
  let fake: FakeLlmServer;

  beforeAll(async () => {
    fake = await startFakeLlm({ port: 0 });
    ({ api, admin } = await bootWithAdmin(ENV));
    await priceTheFakeModels(api, admin);
  });
  afterAll(async () => {
    await api?.close();
    await fake?.close();
  });

  it('without a budget: unlimited, and the spend is still recorded against the month', async () => {
    const { user } = await member(api, fake);
    const empty = await budgetOf(api, user);
    expect(empty).toEqual({
      period: new Date().toISOString().slice(0, 7),
      currency: 'USD',
      monthlyLimit: null,
      source: null,
      spent: money(0),
      reserved: money(0),
      remaining: null,
      resetsAt: expect.any(String),
    });
    expect(new Date(empty.resetsAt).getUTCDate()).toBe(1);
    const reply = await send(api, user);
    expect(reply.events.at(-1)!.event).toBe('done');
    // No maximum was sent upstream: the cap applies to budgeted users only.
    expect(fake.requests.at(-1)!.body.max_tokens ?? fake.requests.at(-1)!.body.max_completion_tokens).toBeUndefined();
    await eventually(async () => expect((await budgetOf(api, user)).spent).toBe(money(0.04)));
  });

  it('a role default applies to its users; a user override wins over it; removing either is audited', async () => {
    const { user } = await member(api, fake);
    const role = await api.http().put('/api/admin/budgets/member').set(admin.auth).send({ monthlyLimit: '5' }).expect(200);
    expect(role.body).toEqual({ role: 'member', monthlyLimit: money(5), updatedAt: expect.any(String) });
    expect((await api.http().get('/api/admin/budgets').set(admin.auth).expect(200)).body).toEqual({ currency: 'USD', roles: [role.body] });
    expect(await budgetOf(api, user)).toEqual(expect.objectContaining({ monthlyLimit: money(5), source: 'role', remaining: money(5) }));

    const override = await setBudget(api, admin, user, '0.3');
    expect(override.body).toEqual(expect.objectContaining({ monthlyLimit: money(0.3), source: 'user' }));
    expect(await budgetOf(api, user)).toEqual(override.body);
    expect((await api.http().get(`/api/admin/users/${user.id}/budget`).set(admin.auth).expect(200)).body).toEqual(override.body);

    const removed = await api.http().delete(`/api/admin/users/${user.id}/budget`).set(admin.auth).expect(200);
    expect(removed.body).toEqual(expect.objectContaining({ monthlyLimit: money(5), source: 'role' }));
    await api.http().delete(`/api/admin/users/${user.id}/budget`).set(admin.auth).expect(404);
    expect((await api.http().delete('/api/admin/budgets/member').set(admin.auth).expect(200)).body).toEqual({ role: 'member', removed: true });
    expect((await api.http().delete('/api/admin/budgets/member').set(admin.auth).expect(404)).body.code).toBe('BUDGET_NOT_FOUND');
    expect(await budgetOf(api, user)).toEqual(expect.objectContaining({ monthlyLimit: null, source: null }));

    const audited = (await api.http().get('/api/admin/audit').query({ actor: admin.id }).set(admin.auth).expect(200)).body.events as { action: string; target: string }[];
    expect(audited.slice(0, 4).map(({ action, target }) => [action, target])).toEqual([
      ['budget.role_removed', 'member'],
      ['budget.user_removed', user.id],
      ['budget.user_set', user.id],
      ['budget.role_set', 'member'],
    ]);
  });

  it('refuses bad limits, unknown roles and users, and members', async () => {
    const { user } = await member(api, fake);
    for (const monthlyLimit of ['-1', '1.23456', '1000000.01', 'ten', '', ' 1', '1e3', 5, null, ['1']]) {
      const response = await api.http().put(`/api/admin/users/${user.id}/budget`).set(admin.auth).send({ monthlyLimit });
      expect([monthlyLimit, response.status, response.body.message]).toEqual([monthlyLimit, 400, expect.stringContaining('monthlyLimit')]);
    }
    await api.http().put(`/api/admin/users/${user.id}/budget`).set(admin.auth).send({ monthlyLimit: '1', extra: true }).expect(400);
    expect((await api.http().put('/api/admin/budgets/owner').set(admin.auth).send({ monthlyLimit: '1' }).expect(404)).body.code).toBe('ROLE_NOT_FOUND');
    expect((await api.http().put(`/api/admin/users/${crypto.randomUUID()}/budget`).set(admin.auth).send({ monthlyLimit: '1' }).expect(404)).body.code).toBe('USER_NOT_FOUND');
    await api.http().put(`/api/admin/users/${user.id}/budget`).set(admin.auth).send({ monthlyLimit: '1000000' }).expect(200);
    await api.http().put(`/api/admin/users/${user.id}/budget`).set(user.auth).send({ monthlyLimit: '0' }).expect(403);
    await api.http().get('/api/admin/budgets').set(user.auth).expect(403);
    expect((await budgetOf(api, user)).monthlyLimit).toBe(money(1_000_000));
  });

  it('records each reply against the budget and answers 402 before any event once the worst case no longer fits: chat, /v1, /v1/messages', async () => {
    const { user, key, openai } = await member(api, fake);
    await setBudget(api, admin, user, '0.25');
    for (let i = 0; i < 4; i++) expect((await send(api, user)).events.at(-1)!.event).toBe('done');
    // A budgeted reply without a maximum of its own is capped at what was reserved for it.
    expect(fake.requests.at(-1)!.body.max_tokens ?? fake.requests.at(-1)!.body.max_completion_tokens).toBe(10);
    await eventually(async () => expect(await budgetOf(api, user)).toEqual(expect.objectContaining({ spent: money(0.16), reserved: money(0), remaining: money(0.09) })));

    const calls = fake.requests.length;
    const refused = await send(api, user);
    expect(refused.status).toBe(402);
    expect(refused.body).toEqual({ statusCode: 402, error: 'Payment Required', code: 'BUDGET_EXCEEDED', message: expect.stringContaining('Your monthly budget of 0.25 USD') });
    expect(refused.body.message).toContain('0.10 USD');

    const error = await openai.chat.completions.create({ model: `openai/${QUICK}`, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(error).toEqual(expect.objectContaining({ status: 402, code: 'budget_exceeded', type: 'insufficient_quota' }));
    const streamed = await openai.chat.completions.create({ model: `openai/${QUICK}`, stream: true, messages: [{ role: 'user', content: 'hi' }] }).catch((caught: unknown) => caught);
    expect(streamed).toEqual(expect.objectContaining({ status: 402, code: 'budget_exceeded' }));
    expect(fake.requests.length).toBe(calls);

    // A smaller maximum makes a smaller worst case, which still fits.
    const small = await openai.chat.completions.create({ model: `openai/${QUICK}`, max_tokens: 5, store: false, messages: [{ role: 'user', content: 'hi' }] });
    expect(small.choices[0]!.message.content).toBeTruthy();
    await eventually(async () => expect((await budgetOf(api, user)).spent).toBe(money(0.2)));

    const anthropic = new Anthropic({ apiKey: key, baseURL: api.url, maxRetries: 0 });
    const billing = await anthropic.messages.create({ model: `anthropic/${QUICK}`, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }).catch((caught: unknown) => caught);
    expect(billing).toBeInstanceOf(Anthropic.APIError);
    expect(billing).toEqual(expect.objectContaining({ status: 402, error: { type: 'error', error: { type: 'billing_error', message: expect.stringContaining('monthly budget') } } }));
  });

  it("holds an Anthropic reply's thinking budget too, which its request adds to max_tokens", async () => {
    const { user } = await member(api, fake);
    // 10 answer tokens and 2,048 of thinking at 0.01 each: 20.58, over 20; the answer alone is 0.10.
    await setBudget(api, admin, user, '20');
    const ask = (provider: string, reasoning?: object) =>
      readStream(`${api.url}/api/chat/stream`, { token: user.token, body: { message: 'think', provider, model: QUICK, ...(reasoning && { reasoning }) } });
    const thinking = await ask('anthropic', { budgetTokens: 2048 });
    expect([thinking.status, thinking.body.code]).toEqual([402, 'BUDGET_EXCEEDED']);
    expect((await ask('anthropic')).events.at(-1)!.event).toBe('done');
    // OpenAI counts reasoning within its maximum: nothing more to hold.
    expect((await ask('openai', { effort: 'high' })).events.at(-1)!.event).toBe('done');
    await setBudget(api, admin, user, '21');
    expect((await ask('anthropic', { budgetTokens: 2048 })).events.at(-1)!.event).toBe('done');
    expect(fake.requests.at(-1)!.body).toEqual(expect.objectContaining({ max_tokens: 2058, thinking: { type: 'enabled', budget_tokens: 2048 } }));
  });

  it('writes the 80 % and 100 % thresholds to the audit log once per user and month', async () => {
    const { user, openai } = await member(api, fake);
    await setBudget(api, admin, user, '0.20');
    const thresholds = async () =>
      ((await api.http().get('/api/admin/audit').query({ actor: 'system' }).set(admin.auth).expect(200)).body.events as { action: string; target: string; detail: any }[]).filter(
        (event) => event.target === user.id,
      );
    // max_tokens 4: the worst case is the real cost, so the budget fills to the cent.
    const ask = () => openai.chat.completions.create({ model: `openai/${QUICK}`, max_tokens: 4, messages: [{ role: 'user', content: 'hi' }] });
    for (let i = 0; i < 3; i++) await ask();
    await eventually(async () => expect((await budgetOf(api, user)).spent).toBe(money(0.12)));
    expect(await thresholds()).toEqual([]);
    await ask();
    await eventually(async () => expect((await thresholds()).map((event) => event.action)).toEqual(['budget.threshold_80']));
    await ask();
    await eventually(async () => expect((await thresholds()).map((event) => event.action)).toEqual(['budget.threshold_100', 'budget.threshold_80']));
    const [full, warned] = await thresholds();
    expect(warned!.detail).toEqual({ period: expect.any(String), percent: 80, currency: 'USD', spent: money(0.16), limit: money(0.2) });
    expect(full!.detail).toEqual(expect.objectContaining({ percent: 100, spent: money(0.2) }));

    for (let i = 0; i < 2; i++) expect(await ask().catch((caught: unknown) => caught)).toEqual(expect.objectContaining({ status: 402 }));
    await api.http().put(`/api/admin/users/${user.id}/budget`).set(admin.auth).send({ monthlyLimit: '0.30' }).expect(200);
    await ask();
    await eventually(async () => expect((await budgetOf(api, user)).spent).toBe(money(0.24)));
    expect((await thresholds()).length).toBe(2);

    // A refusal is the 100 % mark too, for a user whose budget cannot take even one reply.
    const { user: tight } = await member(api, fake);
    await setBudget(api, admin, tight, '0.05');
    for (let i = 0; i < 2; i++) expect((await send(api, tight)).status).toBe(402);
    const events = ((await api.http().get('/api/admin/audit').query({ action: 'budget.threshold_100' }).set(admin.auth).expect(200)).body.events as any[]).filter(
      (event) => event.target === tight.id,
    );
    expect(events.map((event) => event.detail)).toEqual([expect.objectContaining({ percent: 100, refused: true, spent: money(0), limit: money(0.05) })]);
  });

  it('settles every way a reply ends: a client that leaves, a stop, an upstream failure, store: false', async () => {
    const { user, openai } = await member(api, fake);
    await setBudget(api, admin, user, '10');
    const slow = { provider: 'openai', model: 'budget-x:deltas=50,delay=40' };
    const firstDelta = (event: { event: string }) => event.event === 'message';
    const gone = await readStream(`${api.url}/api/chat/stream`, { token: user.token, body: { message: 'long', ...slow }, until: firstDelta });
    expect(gone.status).toBe(200);
    const detached = await readStream(`${api.url}/api/chat/stream`, { token: user.token, body: { message: 'long', detach: true, ...slow }, until: firstDelta });
    await api.http().post(`/api/chat/sessions/${detached.events[0]!.data.sessionId}/stop`).set(user.auth).expect(200);
    expect((await send(api, user, 'budget-x:fail=500')).events.at(-1)!.event).toBe('error');
    await openai.chat.completions.create({ model: `openai/${QUICK}`, store: false, messages: [{ role: 'user', content: 'hi' }] });
    const budget = await eventually(async () => {
      const now = await budgetOf(api, user);
      expect(now.reserved).toBe(money(0));
      return now;
    });
    // store: false (0.04), and what the two replies cut short had generated: nothing is left held.
    expect(Number(budget.spent)).toBeGreaterThan(0.04);
  });

  it('a free or unpriced model costs the budget nothing, but is refused once the budget is spent', async () => {
    const { user } = await member(api, fake);
    await setBudget(api, admin, user, '0.04');
    const echo = () => readStream(`${api.url}/api/chat/stream`, { token: user.token, body: { message: 'hello', provider: 'echo' } });
    expect((await echo()).events.at(-1)!.event).toBe('done');
    expect((await send(api, user, 'unpriced-model:deltas=4')).events.at(-1)!.event).toBe('done');
    await eventually(async () => expect((await budgetOf(api, user)).spent).toBe(money(0)));
    expect((await send(api, user, 'budget-x:deltas=4', 'spend it')).status).toBe(402);
    await api.http().put(`/api/admin/users/${user.id}/budget`).set(admin.auth).send({ monthlyLimit: '0.10' }).expect(200);
    expect((await send(api, user, 'budget-x:deltas=4', 'spend it')).events.at(-1)!.event).toBe('done');
    await eventually(async () => expect((await budgetOf(api, user)).spent).toBe(money(0.04)));
    await api.http().put(`/api/admin/users/${user.id}/budget`).set(admin.auth).send({ monthlyLimit: '0.04' }).expect(200);
    for (const refused of [await echo(), await send(api, user, 'unpriced-model:deltas=4')]) expect([refused.status, refused.body.code]).toEqual([402, 'BUDGET_EXCEEDED']);
  });

  it('50 replies at once against room for 10: the spend stays within the budget plus one worst case, every refusal a 402', async () => {
    await fiftyAtOnce([api], admin, fake);
  });
});

describeWith(POSTGRES, REDIS)('budgets on two replicas with PostgreSQL and Redis (e2e)', () => {
  let a: TestApp;
  let b: TestApp;
  let admin: TestUser;
  let fake: FakeLlmServer;

  beforeAll(async () => {
    fake = await startFakeLlm({ port: 0 });
    const env = { ...ENV, REDIS_URL: process.env.TEST_REDIS_URL! };
    ({ api: a, admin } = await bootWithAdmin(env));
    b = await bootTestApp(env, a.db);
    await priceTheFakeModels(a, admin);
  });
  afterAll(async () => {
    await b?.close({ dropDatabase: false });
    await a?.close();
    await fake?.close();
  });

  it('50 replies at once over both replicas against room for 10: within the budget plus one worst case, every refusal a 402', async () => {
    await fiftyAtOnce([a, b], admin, fake);
  });

  it('what is spent on one replica is refused on the other', async () => {
    const { user, openai } = await member(a, fake);
    await setBudget(a, admin, user, '0.12');
    expect((await send(a, user)).events.at(-1)!.event).toBe('done');
    await eventually(async () => expect((await budgetOf(b, user)).spent).toBe(money(0.04)));
    const refused = await new OpenAI({ apiKey: openai.apiKey, baseURL: `${b.url}/v1`, maxRetries: 0 }).chat.completions
      .create({ model: `openai/${QUICK}`, messages: [{ role: 'user', content: 'hi' }] })
      .catch((caught: unknown) => caught);
    expect(refused).toEqual(expect.objectContaining({ status: 402, code: 'budget_exceeded' }));
  });
});
