import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { type RecordedRequest, replyText, startFakeLlm } from '../apps/fake-llm/src/fake-llm.server.js';
import { configureFakeProvider, FAKE_UPSTREAM_ENV } from './factories/provider.factory.js';
import { registerUser, type TestUser } from './factories/user.factory.js';
import { eventually } from './helpers/eventually.js';
import { eventNames, readStream, type StreamResult } from './helpers/sse-client.js';
import { bootTestApp, type TestApp } from './helpers/test-app.js';

type Provider = 'openai' | 'anthropic' | 'gemini';
const PROVIDERS: Provider[] = ['openai', 'anthropic', 'gemini'];

/** The instruction every title request starts with (apps/api/src/chat/titles.service.ts). */
const TITLE_REQUEST = 'You name chat conversations';

/** The text of a recorded request's whole body: enough to tell which turn (or title request) it was. */
const bodyText = (request: RecordedRequest) => JSON.stringify(request.body);

/** The system prompt the provider was given, in its own wire format. */
function systemPromptOf(request: RecordedRequest): string | undefined {
  const { body } = request;
  if (request.provider === 'anthropic') return body.system;
  if (request.provider === 'gemini') return body.systemInstruction?.parts?.map((part: { text: string }) => part.text).join('');
  return body.messages.find((message: { role: string }) => message.role === 'system')?.content;
}

/** Boots the server against the fake upstream; every user it registers has all three providers pointed at it. */
async function bootWithFake(env: Record<string, string> = {}) {
  const fake = await startFakeLlm({ port: 0 });
  const api = await bootTestApp({ ...FAKE_UPSTREAM_ENV, ...env });
  const user = async () => {
    const who = await registerUser(api);
    for (const provider of PROVIDERS) await configureFakeProvider(api, who, provider, fake.url);
    return who;
  };
  const chat = (who: TestUser, body: object) => readStream(`${api.url}/api/chat/stream`, { token: who.token, body });
  const sessionOf = (result: StreamResult) => result.events[0]!.data.sessionId as string;
  /** The upstream requests whose body mentions `marker`, oldest first. */
  const requestsWith = (marker: string) => fake.requests.filter((request) => bodyText(request).includes(marker));
  return { fake, api, user, chat, sessionOf, requestsWith, close: async () => (await api.close(), await fake.close()) };
}

describe('session settings and presets (e2e)', () => {
  let bed: Awaited<ReturnType<typeof bootWithFake>>;
  let api: TestApp;
  let owner: TestUser;
  let other: TestUser;

  beforeAll(async () => {
    // TEST_ENV turns titles off: this suite also shows that TITLE_GENERATION=false keeps the first words.
    bed = await bootWithFake();
    api = bed.api;
    owner = await bed.user();
    other = await bed.user();
  });
  afterAll(() => bed?.close());

  it.each(PROVIDERS)("%s: the session's settings (PATCH) go with its next turns, the system prompt first", async (provider) => {
    const marker = randomUUID();
    const first = await bed.chat(owner, { message: `first ${marker}`, provider, model: 'fake:deltas=2' });
    const id = bed.sessionOf(first);
    const settings = { systemPrompt: `Answer like a pirate ${marker}`, temperature: 0.3, maxOutputTokens: 321, reasoning: { effort: 'high', budgetTokens: 2048 } };
    const patched = await api.http().patch(`/api/chat/sessions/${id}`).set(owner.auth).send(settings).expect(200);
    expect(patched.body).toEqual(expect.objectContaining(settings));
    expect((await api.http().get(`/api/chat/sessions/${id}`).set(owner.auth).expect(200)).body).toEqual(expect.objectContaining(settings));
    const listed = (await api.http().get('/api/chat/sessions?limit=100').set(owner.auth).expect(200)).body.sessions.find((session: { id: string }) => session.id === id);
    expect(listed).toEqual(expect.objectContaining(settings));

    const second = await bed.chat(owner, { message: `second ${marker}`, sessionId: id });
    expect(second.text).toBe(replyText(2));
    const [, asked] = bed.requestsWith(marker);
    expect(systemPromptOf(asked!)).toBe(settings.systemPrompt);
    // The reasoning setting goes too, in each provider's form (see test/reasoning.e2e-spec.ts for the mapping).
    if (provider === 'openai') {
      expect(asked!.body.messages[0]).toEqual({ role: 'system', content: settings.systemPrompt });
      expect(asked!.body).toEqual(expect.objectContaining({ temperature: 0.3, max_tokens: 321, reasoning_effort: 'high' }));
    } else if (provider === 'anthropic') {
      // With thinking on, Anthropic takes no temperature, and max_tokens holds the thinking budget and the answer.
      expect(asked!.body).toEqual(expect.objectContaining({ max_tokens: 321 + 2048, thinking: { type: 'enabled', budget_tokens: 2048 } }));
      expect(asked!.body.temperature).toBeUndefined();
    } else {
      expect(asked!.body.generationConfig).toEqual(expect.objectContaining({ temperature: 0.3, maxOutputTokens: 321 }));
      expect(asked!.body.generationConfig.thinkingConfig).toEqual(expect.objectContaining({ thinkingBudget: 2048 }));
    }
  });

  it("a request's settings override the session's for that turn only; null clears a setting", async () => {
    const marker = randomUUID();
    const id = bed.sessionOf(await bed.chat(owner, { message: `start ${marker}`, provider: 'openai', model: 'fake:deltas=1', systemPrompt: `Be brief ${marker}`, temperature: 0.2 }));
    const created = (await api.http().get(`/api/chat/sessions/${id}`).set(owner.auth).expect(200)).body;
    expect(created).toEqual(expect.objectContaining({ systemPrompt: `Be brief ${marker}`, temperature: 0.2, maxOutputTokens: null, reasoning: null }));

    await bed.chat(owner, { message: `override ${marker}`, sessionId: id, temperature: 1.5, maxOutputTokens: 77 });
    const overridden = bed.requestsWith(`override ${marker}`)[0]!;
    expect(overridden.body).toEqual(expect.objectContaining({ temperature: 1.5, max_tokens: 77 }));
    expect(systemPromptOf(overridden)).toBe(`Be brief ${marker}`);
    expect((await api.http().get(`/api/chat/sessions/${id}`).set(owner.auth).expect(200)).body).toEqual(expect.objectContaining({ temperature: 0.2, maxOutputTokens: null }));

    // Regenerating uses the session's settings too.
    await readStream(`${api.url}/api/chat/sessions/${id}/regenerate`, { token: owner.token, body: {} });
    expect(bed.requestsWith(marker).at(-1)!.body).toEqual(expect.objectContaining({ temperature: 0.2 }));

    await api.http().patch(`/api/chat/sessions/${id}`).set(owner.auth).send({ systemPrompt: null, temperature: null }).expect(200);
    await bed.chat(owner, { message: `cleared ${marker}`, sessionId: id });
    const cleared = bed.requestsWith(`cleared ${marker}`)[0]!;
    expect(systemPromptOf(cleared)).toBeUndefined();
    expect(cleared.body.temperature).toBe(0.7); // CHAT_DEFAULT_TEMPERATURE
  });

  it('PATCH changes the provider and model of the next turns (model required with provider); not on your session: 404', async () => {
    const id = bed.sessionOf(await bed.chat(owner, { message: 'switch me', provider: 'openai', model: 'fake:deltas=1' }));
    await api.http().patch(`/api/chat/sessions/${id}`).set(owner.auth).send({ provider: 'anthropic' }).expect(400);
    const moved = await api.http().patch(`/api/chat/sessions/${id}`).set(owner.auth).send({ provider: 'anthropic', model: 'fake:deltas=3' }).expect(200);
    expect(moved.body).toEqual(expect.objectContaining({ provider: 'anthropic', model: 'fake:deltas=3' }));
    const next = await bed.chat(owner, { message: 'on anthropic now', sessionId: id });
    expect(next.text).toBe(replyText(3));
    expect(bed.fake.requests.at(-1)!.provider).toBe('anthropic');
    await api.http().patch(`/api/chat/sessions/${id}`).set(other.auth).send({ systemPrompt: 'mine' }).expect(404);
  });

  it('TITLE_GENERATION=false: the title stays the first words of the first message, and no title is asked for', async () => {
    const marker = randomUUID();
    const result = await bed.chat(owner, { message: `Plain title please ${marker}`, provider: 'openai', model: 'fake:deltas=2' });
    expect(eventNames(result)).toEqual(['session', 'message', 'message', 'done']);
    const session = (await api.http().get(`/api/chat/sessions/${bed.sessionOf(result)}`).set(owner.auth).expect(200)).body;
    expect(session.title).toBe(`Plain title please ${marker}`.slice(0, 50));
    expect(bed.requestsWith(marker)).toHaveLength(1);
    expect(bed.fake.requests.filter((request) => bodyText(request).includes(TITLE_REQUEST))).toHaveLength(0);
  });

  it('presets: create, read, list in pages, change (null clears), delete; owner-scoped', async () => {
    const who = await bed.user();
    const base = { name: 'Pirate', systemPrompt: 'Talk like a pirate', provider: 'openai', model: 'fake:deltas=2', temperature: 1.2, maxOutputTokens: 500, reasoning: { effort: 'low' } };
    const created = await api.http().post('/api/presets').set(who.auth).send(base).expect(201);
    expect(created.body).toEqual({ id: expect.any(String), ...base, createdAt: expect.any(String), updatedAt: expect.any(String) });
    const id = created.body.id as string;
    expect((await api.http().get(`/api/presets/${id}`).set(who.auth).expect(200)).body).toEqual(created.body);

    const minimal = await api.http().post('/api/presets').set(who.auth).send({ name: 'Just a name' }).expect(201);
    expect(minimal.body).toEqual(expect.objectContaining({ systemPrompt: null, provider: null, model: null, temperature: null, maxOutputTokens: null, reasoning: null }));
    await api.http().post('/api/presets').set(who.auth).send({ name: 'Third' }).expect(201);

    const first = await api.http().get('/api/presets?limit=2').set(who.auth).expect(200);
    expect(first.body.presets.map((preset: { name: string }) => preset.name)).toEqual(['Pirate', 'Just a name']);
    const second = await api.http().get(`/api/presets?limit=2&cursor=${first.body.nextCursor}`).set(who.auth).expect(200);
    expect(second.body).toEqual({ presets: [expect.objectContaining({ name: 'Third' })], nextCursor: null });

    const changed = await api.http().patch(`/api/presets/${id}`).set(who.auth).send({ name: 'Parrot', temperature: null, reasoning: null }).expect(200);
    expect(changed.body).toEqual(expect.objectContaining({ name: 'Parrot', systemPrompt: 'Talk like a pirate', temperature: null, reasoning: null, maxOutputTokens: 500 }));

    // Another user's preset does not exist for you.
    await api.http().get(`/api/presets/${id}`).set(other.auth).expect(404);
    await api.http().patch(`/api/presets/${id}`).set(other.auth).send({ name: 'mine' }).expect(404);
    await api.http().delete(`/api/presets/${id}`).set(other.auth).expect(404);
    expect((await api.http().get('/api/presets').set(other.auth).expect(200)).body.presets).toEqual([]);

    expect((await api.http().delete(`/api/presets/${id}`).set(who.auth).expect(200)).body).toEqual({ id, deleted: true });
    await api.http().delete(`/api/presets/${id}`).set(who.auth).expect(404);
    await api.http().get(`/api/presets/${id}`).set(who.auth).expect(404);
  });

  it('a user may have at most 100 presets (409 PRESET_LIMIT_REACHED)', async () => {
    const who = await registerUser(api);
    for (let i = 0; i < 100; i++) await api.http().post('/api/presets').set(who.auth).send({ name: `preset ${i}` }).expect(201);
    const refused = await api.http().post('/api/presets').set(who.auth).send({ name: 'one too many' }).expect(409);
    expect(refused.body).toEqual(expect.objectContaining({ statusCode: 409, code: 'PRESET_LIMIT_REACHED' }));
  });

  it("presetId seeds a new session's settings, the request's fields override them; only for a new session, only your own", async () => {
    const marker = randomUUID();
    const preset = (
      await api
        .http()
        .post('/api/presets')
        .set(owner.auth)
        .send({ name: `Seed ${marker}`, systemPrompt: `Preset prompt ${marker}`, provider: 'gemini', model: 'fake:deltas=4', temperature: 0.4, maxOutputTokens: 99 })
        .expect(201)
    ).body;
    const started = await bed.chat(owner, { message: `from a preset ${marker}`, presetId: preset.id, temperature: 0.9 });
    expect(started.text).toBe(replyText(4));
    const asked = bed.requestsWith(`from a preset ${marker}`)[0]!;
    expect(asked.provider).toBe('gemini');
    expect(systemPromptOf(asked)).toBe(`Preset prompt ${marker}`);
    expect(asked.body.generationConfig).toEqual(expect.objectContaining({ temperature: 0.9, maxOutputTokens: 99 }));
    const id = bed.sessionOf(started);
    expect((await api.http().get(`/api/chat/sessions/${id}`).set(owner.auth).expect(200)).body).toEqual(
      expect.objectContaining({ provider: 'gemini', model: 'fake:deltas=4', systemPrompt: `Preset prompt ${marker}`, temperature: 0.9, maxOutputTokens: 99 }),
    );

    const refusedWithSession = await bed.chat(owner, { message: 'again', sessionId: id, presetId: preset.id });
    expect(refusedWithSession.status).toBe(400);
    expect((await bed.chat(owner, { message: 'again', sessionId: id, systemPrompt: 'new' })).status).toBe(400);
    const notYours = await bed.chat(other, { message: 'borrowing', presetId: preset.id });
    expect(notYours.status).toBe(404);
    expect(notYours.body.code).toBe('PRESET_NOT_FOUND');
  });

  it('refuses hostile settings with 400 before anything is written or asked', async () => {
    const id = bed.sessionOf(await bed.chat(owner, { message: 'hostile inputs', provider: 'openai', model: 'fake:deltas=1' }));
    const before = bed.fake.requests.length;
    const bad: object[] = [
      { systemPrompt: 'x'.repeat(8001) },
      { systemPrompt: '' },
      { systemPrompt: 42 },
      { reasoning: { effort: 'extreme' } },
      { reasoning: 'high' },
      { reasoning: [] },
      { reasoning: { effort: 'low', budgetTokens: 0 } },
      { reasoning: { budgetTokens: 1.5 } },
      { reasoning: { budgetTokens: 10_000_000 } },
      { reasoning: { effort: 'low', extra: true } },
      { maxOutputTokens: 0 },
      { maxOutputTokens: 2.5 },
      { maxOutputTokens: 1e12 },
      { temperature: 3 },
      { temperature: 'hot' },
    ];
    for (const fields of bad) {
      const stream = await bed.chat(owner, { message: 'hi', provider: 'openai', model: 'fake:deltas=1', ...fields });
      expect({ fields, status: stream.status, statusCode: stream.body?.statusCode }).toEqual({ fields, status: 400, statusCode: 400 });
      await api.http().patch(`/api/chat/sessions/${id}`).set(owner.auth).send(fields).expect(400);
      await api.http().post('/api/presets').set(owner.auth).send({ name: 'bad', ...fields }).expect(400);
    }
    for (const fields of [{ provider: null, model: 'x' }, { model: null }, { provider: 'nope', model: 'x' }, { model: 'm'.repeat(201) }]) {
      await api.http().patch(`/api/chat/sessions/${id}`).set(owner.auth).send(fields).expect(400);
    }
    for (const body of [{}, { name: '' }, { name: ' padded ' }, { name: 'n'.repeat(101) }, { name: 'ok', provider: 'nope' }]) {
      await api.http().post('/api/presets').set(owner.auth).send(body).expect(400);
    }
    // mode is gone from the API: it did nothing.
    expect((await bed.chat(owner, { message: 'hi', provider: 'openai', mode: 'normal' })).status).toBe(400);
    expect(bed.fake.requests.length).toBe(before);
  });
});

describe('generated titles (e2e)', () => {
  let bed: Awaited<ReturnType<typeof bootWithFake>>;
  let owner: TestUser;

  beforeAll(async () => {
    // The wait is long: the title event is asserted to come, not to come fast.
    bed = await bootWithFake({ TITLE_GENERATION: 'true', TITLE_WAIT_MS: '30000' });
    owner = await bed.user();
  });
  afterAll(() => bed?.close());

  const titleOf = async (who: TestUser, id: string) => (await bed.api.http().get(`/api/chat/sessions/${id}`).set(who.auth).expect(200)).body.title as string;

  it.each(PROVIDERS)('%s: after the first reply, `title` follows `done` on the stream, the list shows it; later turns keep it', async (provider) => {
    const marker = randomUUID();
    const result = await bed.chat(owner, { message: `How do I bake bread? ${marker}`, provider, model: 'fake:deltas=3' });
    expect(eventNames(result)).toEqual(['session', 'message', 'message', 'message', 'done', 'title']);
    const done = result.events[4]!;
    const title = result.events[5]!;
    // The fake answers every request with the same words: the title is its reply, cleaned.
    expect(title.data).toEqual({ title: replyText(3).trim() });
    expect(title.id).toBe(`${done.id!.split(':')[0]}:6`);
    const id = bed.sessionOf(result);
    const list = (await bed.api.http().get('/api/chat/sessions?limit=100').set(owner.auth).expect(200)).body.sessions;
    expect(list.find((session: { id: string }) => session.id === id)).toEqual(expect.objectContaining({ title: replyText(3).trim(), titleSetByUser: false }));

    // The title request: the same provider and model, the question and the reply, the instruction first.
    const [turn, asked] = bed.requestsWith(marker);
    expect(turn!.provider).toBe(provider);
    expect(asked!.provider).toBe(provider);
    expect(asked!.model).toBe('fake:deltas=3');
    expect(systemPromptOf(asked!)).toContain(TITLE_REQUEST);
    expect(bodyText(asked!)).toContain(replyText(3).trim());

    const next = await bed.chat(owner, { message: `and rye? ${marker}`, sessionId: id });
    expect(eventNames(next).at(-1)).toBe('done');
    expect(bed.requestsWith(marker)).toHaveLength(3);
    expect(await titleOf(owner, id)).toBe(replyText(3).trim());
  });

  it('a failed reply gets no title; the echo provider, which would only repeat the request, neither', async () => {
    const marker = randomUUID();
    const failed = await bed.chat(owner, { message: `fail ${marker}`, provider: 'openai', model: 'fake:fail=500' });
    expect(eventNames(failed)).toEqual(['session', 'error']);
    expect(bed.requestsWith(marker)).toHaveLength(1);
    expect(await titleOf(owner, bed.sessionOf(failed))).toBe(`fail ${marker}`.slice(0, 50));

    const echoed = await bed.chat(owner, { message: 'echo me', provider: 'echo' });
    expect(eventNames(echoed).at(-1)).toBe('done');
    expect(await titleOf(owner, bed.sessionOf(echoed))).toBe('echo me');
  });
});

describe('generated titles that come late, with TITLE_MODEL (e2e)', () => {
  let bed: Awaited<ReturnType<typeof bootWithFake>>;
  let owner: TestUser;
  const TITLE_MODEL = 'fake:deltas=2,first=3000';

  beforeAll(async () => {
    // The title model answers after 3 s, the stream waits 200 ms for it: the title always comes after the stream ends.
    // One reply at a time per user: a title still being generated must not hold that slot.
    bed = await bootWithFake({ TITLE_GENERATION: 'true', TITLE_WAIT_MS: '200', TITLE_MODEL: `anthropic/${TITLE_MODEL}`, CHAT_MAX_CONCURRENT_PER_USER: '1' });
    owner = await bed.user();
  });
  afterAll(() => bed?.close());

  const session = async (id: string) => (await bed.api.http().get(`/api/chat/sessions/${id}`).set(owner.auth).expect(200)).body;

  it('the stream ends with `done` as ever; the title, asked of TITLE_MODEL, shows in the list once saved', async () => {
    const marker = randomUUID();
    const result = await bed.chat(owner, { message: `late title ${marker}`, provider: 'openai', model: 'fake:deltas=1' });
    expect(eventNames(result)).toEqual(['session', 'message', 'done']);
    const id = bed.sessionOf(result);
    // While that title is being asked for, the user's one reply slot is free.
    const next = await bed.chat(owner, { message: `meanwhile ${marker}`, provider: 'openai', model: 'fake:deltas=1' });
    expect(eventNames(next)).toEqual(['session', 'message', 'done']);
    await eventually(async () => expect((await session(id)).title).toBe(replyText(2).trim()), 15_000);
    const asked = bed.requestsWith(`late title ${marker}`).find((request) => bodyText(request).includes(TITLE_REQUEST))!;
    expect(asked.provider).toBe('anthropic');
    expect(asked.model).toBe(TITLE_MODEL);
  });

  it('a title the user set meanwhile is never overwritten', async () => {
    const marker = randomUUID();
    const result = await bed.chat(owner, { message: `rename me ${marker}`, provider: 'openai', model: 'fake:deltas=1' });
    const id = bed.sessionOf(result);
    await bed.api.http().put(`/api/chat/sessions/${id}/title`).set(owner.auth).send({ title: 'Mine' }).expect(200);
    const titleRequest = await eventually(() => {
      const found = bed.requestsWith(marker).find((request) => bodyText(request).includes(TITLE_REQUEST));
      if (!found) throw new Error('no title request yet');
      return found;
    });
    await titleRequest.closed;
    // A session started after the renamed one's title request ended gets its own title: by then the first was handled.
    const later = await bed.chat(owner, { message: `after ${marker}`, provider: 'openai', model: 'fake:deltas=1' });
    await eventually(async () => expect((await session(bed.sessionOf(later))).title).toBe(replyText(2).trim()), 15_000);
    expect(await session(id)).toEqual(expect.objectContaining({ title: 'Mine', titleSetByUser: true }));
  });
});
