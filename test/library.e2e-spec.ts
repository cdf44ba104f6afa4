import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type FakeLlmServer, replyText, startFakeLlm } from '../apps/fake-llm/src/fake-llm.server.js';
import { configureFakeProvider, FAKE_UPSTREAM_ENV } from './factories/provider.factory.js';
import { registerUser, type TestUser } from './factories/user.factory.js';
import { eventually } from './helpers/eventually.js';
import { seedDatabase } from './helpers/seed-database.js';
import { readStream, type SseEvent } from './helpers/sse-client.js';
import { bootTestApp, type TestApp } from './helpers/test-app.js';

const SLOW = 'fake:deltas=200,delay=25';
const ids = (sessions: { id: string }[]) => sessions.map((session) => session.id);

/** An admin of the first suite's server, who reads the feedback on replies. */
const LIBRARIAN = 'librarian@example.com';

/**
 * One server for the first and the last suite (a start costs 5-10 s of CPU), each with users of its own: the first
 * needs the librarian and the fake upstream, the last a small import limit that nothing in the first reaches.
 */
let api: TestApp;
beforeAll(async () => {
  api = await bootTestApp({ ...FAKE_UPSTREAM_ENV, ADMIN_EMAILS: LIBRARIAN, CHAT_IMPORT_MAX_BYTES: '64kb' });
});
afterAll(() => api?.close());

describe('conversation library: list previews, organising, folders (e2e)', () => {
  let fake: FakeLlmServer;
  let user: TestUser;
  let other: TestUser;

  const send = (body: Record<string, unknown>, who = user, until?: (event: SseEvent, events: SseEvent[]) => boolean) =>
    readStream(`${api.url}/api/chat/stream`, { token: who.token, body: { provider: 'echo', ...body }, until });
  const startSession = async (message: string, who = user) => (await send({ message }, who)).events[0]!.data.sessionId as string;
  const list = async (query = '', who = user) => (await api.http().get(`/api/chat/sessions${query}`).set(who.auth).expect(200)).body;
  const organise = (id: string, body: Record<string, unknown>, who = user) => api.http().patch(`/api/chat/sessions/${id}`).set(who.auth).send(body);

  beforeAll(async () => {
    fake = await startFakeLlm({ port: 0 });
    [user, other] = await Promise.all([registerUser(api), registerUser(api)]);
    await configureFakeProvider(api, user, 'openai', fake.url);
  });
  afterAll(() => fake?.close());

  it('shows each session with a preview of its newest message, its message count and whether a reply runs', async () => {
    const who = await registerUser(api);
    await configureFakeProvider(api, who, 'openai', fake.url);
    const long = await startSession(`${'long question '.repeat(20)}end`, who);
    const [entry] = (await list('?limit=1', who)).sessions;
    expect(entry).toEqual({
      id: long,
      title: expect.any(String),
      titleSetByUser: false,
      provider: 'echo',
      model: 'echo-1',
      systemPrompt: null,
      temperature: null,
      maxOutputTokens: null,
      reasoning: null,
      archived: false,
      pinned: false,
      folderId: null,
      tags: [],
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      lastMessagePreview: `Echo: ${'long question '.repeat(20)}end`.slice(0, 120),
      messageCount: 2,
      isGenerating: false,
    });

    // A second turn moves the session's time and count; the preview follows the branch shown.
    await send({ message: 'and a short one', sessionId: long }, who);
    const [again] = (await list('?limit=1', who)).sessions;
    expect(again).toEqual(expect.objectContaining({ id: long, messageCount: 4, lastMessagePreview: 'Echo: and a short one' }));
    expect(Date.parse(again.updatedAt)).toBeGreaterThan(Date.parse(entry.updatedAt));

    // A reply running (detached, so it goes on after the stream is closed): the flag is up, the preview is the question.
    const started = await send({ provider: 'openai', model: SLOW, message: 'tell me everything', detach: true }, who, (event) => event.event === 'message');
    const running = started.events[0]!.data.sessionId as string;
    const listed = (await list('', who)).sessions;
    expect(listed.find((session: { id: string }) => session.id === running)).toEqual(
      expect.objectContaining({ isGenerating: true, lastMessagePreview: 'tell me everything', messageCount: 2 }),
    );
    expect(listed.find((session: { id: string }) => session.id === long).isGenerating).toBe(false);
    await api.http().post(`/api/chat/sessions/${running}/stop`).set(who.auth).expect(200);
    await eventually(async () => {
      const stopped = (await list('', who)).sessions.find((session: { id: string }) => session.id === running);
      expect(stopped.isGenerating).toBe(false);
      expect(stopped.lastMessagePreview.length).toBeGreaterThan(0);
      expect(replyText(200).startsWith(stopped.lastMessagePreview)).toBe(true);
    });
  });

  it('archives, pins, files and tags sessions; the list shows pinned first, hides the archived and filters', async () => {
    const who = await registerUser(api);
    const a = await startSession('first', who);
    const b = await startSession('second', who);
    const c = await startSession('third', who);
    expect(ids((await list('', who)).sessions)).toEqual([c, b, a]);

    expect((await organise(b, { pinned: true }, who).expect(200)).body).toEqual(expect.objectContaining({ id: b, pinned: true, archived: false }));
    expect(ids((await list('', who)).sessions)).toEqual([b, c, a]);
    // Organising is not activity: the pinned session keeps its time, unpinned it goes back to its place.
    await organise(a, { archived: true }, who).expect(200);
    expect(ids((await list('', who)).sessions)).toEqual([b, c]);
    expect(ids((await list('?archived=false', who)).sessions)).toEqual([b, c]);
    expect(ids((await list('?archived=true', who)).sessions)).toEqual([a]);
    expect(ids((await list('?pinned=true', who)).sessions)).toEqual([b]);
    expect(ids((await list('?pinned=false', who)).sessions)).toEqual([c]);

    // Cursor paging across the pinned boundary.
    const first = await list('?limit=1', who);
    expect(ids(first.sessions)).toEqual([b]);
    const second = await list(`?limit=1&cursor=${first.nextCursor}`, who);
    expect(ids(second.sessions)).toEqual([c]);
    expect(second.nextCursor).toBeNull();

    const folder = (await api.http().post('/api/folders').set(who.auth).send({ name: 'Work' }).expect(201)).body;
    const filed = (await organise(c, { folderId: folder.id, tags: ['q3', '客户'] }, who).expect(200)).body;
    expect(filed).toEqual(expect.objectContaining({ folderId: folder.id, tags: ['q3', '客户'] }));
    expect(ids((await list(`?folderId=${folder.id}`, who)).sessions)).toEqual([c]);
    // Fields left out stay as they were; null takes a session out of its folder.
    expect((await organise(c, { pinned: false }, who).expect(200)).body).toEqual(expect.objectContaining({ folderId: folder.id, tags: ['q3', '客户'] }));
    expect((await organise(c, { folderId: null, tags: [] }, who).expect(200)).body).toEqual(expect.objectContaining({ folderId: null, tags: [] }));

    // Deleting a folder keeps its sessions.
    await organise(c, { folderId: folder.id }, who).expect(200);
    await api.http().delete(`/api/folders/${folder.id}`).set(who.auth).expect(200);
    expect((await api.http().get(`/api/chat/sessions/${c}`).set(who.auth).expect(200)).body.folderId).toBeNull();
    expect(ids((await list('', who)).sessions)).toContain(c);
  });

  it('refuses bad organising input with 400, and folders or sessions of others with 404', async () => {
    const id = await startSession('to organise');
    const theirs = (await api.http().post('/api/folders').set(other.auth).send({ name: 'Theirs' }).expect(201)).body;
    for (const body of [
      { tags: Array.from({ length: 21 }, (_, i) => `t${i}`) },
      { tags: ['x'.repeat(41)] },
      { tags: ['dup', 'dup'] },
      { tags: [' padded'] },
      { tags: [''] },
      { tags: 'not-a-list' },
      { tags: [1] },
      { archived: 'yes' },
      { pinned: 1 },
      { folderId: 'abc' },
      { owner: 'someone else' },
    ]) {
      const response = await organise(id, body);
      expect([body, response.status]).toEqual([body, 400]);
      expect(response.body).toEqual(expect.objectContaining({ statusCode: 400, error: 'Bad Request', message: expect.any(String) }));
    }
    expect((await organise(id, { folderId: theirs.id })).body).toEqual(expect.objectContaining({ statusCode: 404, code: 'FOLDER_NOT_FOUND' }));
    await organise(id, { pinned: true }, other).expect(404);
    expect((await api.http().get(`/api/chat/sessions/${id}`).set(user.auth).expect(200)).body).toEqual(
      expect.objectContaining({ pinned: false, archived: false, folderId: null, tags: [] }),
    );
    for (const query of ['?archived=yes', '?pinned=1', '?folderId=abc', '?q=', '?q=%20%20', `?q=${'x'.repeat(201)}`, '?limit=101']) {
      expect([query, (await api.http().get(`/api/chat/sessions${query}`).set(user.auth)).status]).toEqual([query, 400]);
    }
  });

  it('keeps folders to their owner, with bounded names', async () => {
    const created = (await api.http().post('/api/folders').set(user.auth).send({ name: 'Research' }).expect(201)).body;
    expect(created).toEqual({ id: expect.any(String), name: 'Research', createdAt: expect.any(String), updatedAt: expect.any(String) });
    expect((await api.http().patch(`/api/folders/${created.id}`).set(user.auth).send({ name: 'Research 2' }).expect(200)).body.name).toBe('Research 2');
    expect((await api.http().get('/api/folders').set(user.auth).expect(200)).body.folders.map((folder: { name: string }) => folder.name)).toContain('Research 2');
    expect((await api.http().get('/api/folders').set(other.auth).expect(200)).body.folders.map((folder: { id: string }) => folder.id)).not.toContain(created.id);
    await api.http().patch(`/api/folders/${created.id}`).set(other.auth).send({ name: 'mine' }).expect(404);
    await api.http().delete(`/api/folders/${created.id}`).set(other.auth).expect(404);
    for (const name of ['', '   ', ' padded', 'x'.repeat(101), 42]) {
      await api.http().post('/api/folders').set(user.auth).send({ name }).expect(400);
    }
    await api.http().patch('/api/folders/abc').set(user.auth).send({ name: 'x' }).expect(400);
    await api.http().delete(`/api/folders/${created.id}`).set(user.auth).expect(200);
    await api.http().delete(`/api/folders/${created.id}`).set(user.auth).expect(404);
  });
  it('shares a read-only snapshot of the branch shown, without sign-in, until revoked, expired or the session is deleted', async () => {
    const id = await startSession('what we decided');
    const shared = (await api.http().post(`/api/chat/sessions/${id}/share`).set(user.auth).send({}).expect(201)).body;
    expect(shared).toEqual({ id: expect.any(String), sessionId: id, token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), url: `/api/shared/${shared.token}`, createdAt: expect.any(String), expiresAt: null });
    await send({ message: 'a later secret', sessionId: id });

    const read = (await api.http().get(shared.url).expect(200)).body;
    expect(read).toEqual({
      title: 'what we decided',
      sharedAt: expect.any(String),
      expiresAt: null,
      messages: [
        { role: 'user', content: 'what we decided', parts: [{ type: 'text', text: 'what we decided' }], createdAt: expect.any(String) },
        { role: 'assistant', content: 'Echo: what we decided', parts: [{ type: 'text', text: 'Echo: what we decided' }], createdAt: expect.any(String) },
      ],
    });
    expect(JSON.stringify(read)).not.toMatch(/later secret|echo-1|provider|Tokens|responseTime/);

    expect((await api.http().get(`/api/chat/sessions/${id}/shares`).set(user.auth).expect(200)).body.links.map((link: { id: string }) => link.id)).toEqual([shared.id]);
    await api.http().get(`/api/chat/sessions/${id}/shares`).set(other.auth).expect(404);
    await api.http().post(`/api/chat/sessions/${id}/share`).set(other.auth).send({}).expect(404);
    await api.http().delete(`/api/chat/sessions/${id}/shares/${shared.id}`).set(other.auth).expect(404);
    await api.http().get(shared.url).expect(200);

    await api.http().delete(`/api/chat/sessions/${id}/shares/${shared.id}`).set(user.auth).expect(200);
    expect((await api.http().get(shared.url).expect(404)).body).toEqual(expect.objectContaining({ statusCode: 404, code: 'SHARE_NOT_FOUND' }));
    await api.http().delete(`/api/chat/sessions/${id}/shares/${shared.id}`).set(user.auth).expect(404);

    const brief = (await api.http().post(`/api/chat/sessions/${id}/share`).set(user.auth).send({ expiresInSeconds: 1 }).expect(201)).body;
    expect(Date.parse(brief.expiresAt) - Date.parse(brief.createdAt)).toBeGreaterThan(500);
    await api.http().get(brief.url).expect(200);
    await eventually(() => api.http().get(brief.url).expect(404), 5000);

    const lasting = (await api.http().post(`/api/chat/sessions/${id}/share`).set(user.auth).send({ expiresInSeconds: 3600 }).expect(201)).body;
    await api.http().get(lasting.url).expect(200);
    await api.http().delete(`/api/chat/sessions/${id}`).set(user.auth).expect(200);
    await api.http().get(lasting.url).expect(404);

    for (const expiresInSeconds of [0, -5, 1.5, 31_536_001, 'soon']) {
      await api.http().post(`/api/chat/sessions/${await startSession('x')}/share`).set(user.auth).send({ expiresInSeconds }).expect(400);
    }
    for (const token of ['abc', 'x'.repeat(43), `${shared.token}x`]) await api.http().get(`/api/shared/${token}`).expect(404);
    // NUL is refused at the edge, as everywhere.
    await api.http().get('/api/shared/%00').expect(400);
  });

  it('takes thumbs up or down on replies of your own sessions only', async () => {
    const id = await startSession('rate me');
    const [question, reply] = (await api.http().get(`/api/chat/sessions/${id}/messages`).set(user.auth).expect(200)).body.messages;
    const url = `/api/chat/sessions/${id}/messages/${reply.id}/feedback`;
    expect((await api.http().put(url).set(user.auth).send({ rating: 'down', comment: 'off topic' }).expect(200)).body).toEqual({
      messageId: reply.id,
      rating: 'down',
      comment: 'off topic',
      updatedAt: expect.any(String),
    });
    expect((await api.http().put(url).set(user.auth).send({ rating: 'up' }).expect(200)).body).toEqual(expect.objectContaining({ rating: 'up', comment: null }));
    // The rating comes back with the messages, to show after a reload.
    const listed = (await api.http().get(`/api/chat/sessions/${id}/messages`).set(user.auth).expect(200)).body.messages;
    expect(listed.map((message: { feedback: unknown }) => message.feedback)).toEqual([null, { rating: 'up', comment: null }]);
    expect((await api.http().put(`/api/chat/sessions/${id}/messages/${question.id}/feedback`).set(user.auth).send({ rating: 'up' }).expect(400)).body.code).toBe(
      'FEEDBACK_NOT_ALLOWED',
    );
    await api.http().put(url).set(other.auth).send({ rating: 'down' }).expect(404);
    for (const body of [{}, { rating: 'meh' }, { rating: 'up', comment: 'x'.repeat(2001) }, { rating: 'up', comment: '' }, { rating: 'up', extra: 1 }]) {
      await api.http().put(url).set(user.auth).send(body).expect(400);
    }
  });

  it("gives administrators the ratings counted per model, paged, and members a 403", async () => {
    const admin = await registerUser(api, { email: LIBRARIAN });
    const rate = async (who: TestUser, model: string, rating: 'up' | 'down', comment?: string) => {
      const id = (await send({ message: 'rate me', model }, who)).events[0]!.data.sessionId as string;
      const [, reply] = (await api.http().get(`/api/chat/sessions/${id}/messages`).set(who.auth).expect(200)).body.messages;
      await api.http().put(`/api/chat/sessions/${id}/messages/${reply.id}/feedback`).set(who.auth).send({ rating, comment }).expect(200);
    };
    const [a, b] = await Promise.all([registerUser(api), registerUser(api)]);
    await rate(a, 'echo-aggregate-1', 'up');
    await rate(b, 'echo-aggregate-1', 'down', 'too short');
    await rate(a, 'echo-aggregate-2', 'down');

    const models: { provider: string; model: string }[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { models: typeof models; nextCursor: string | null } } = await api
        .http()
        .get(`/api/admin/feedback?limit=1${cursor ? `&cursor=${cursor}` : ''}`)
        .set(admin.auth)
        .expect(200);
      models.push(...page.body.models);
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(models.filter((row) => row.model.startsWith('echo-aggregate-'))).toEqual([
      { provider: 'echo', model: 'echo-aggregate-1', up: 1, down: 1, commented: 1, lastAt: expect.any(String) },
      { provider: 'echo', model: 'echo-aggregate-2', up: 0, down: 1, commented: 0, lastAt: expect.any(String) },
    ]);
    expect((await api.http().get('/api/admin/feedback').set(user.auth).expect(403)).body.code).toBe('FORBIDDEN');
  });
});

/** 200 sessions of 20 messages each (4,000 messages), written in one go, with known words in a few of them. */
const seedSql = (userId: string) => `
  INSERT INTO chat_sessions (user_id, title, provider, model, updated_at)
  SELECT '${userId}', CASE i WHEN 1 THEN 'Zebra migration notes' ELSE 'Seeded session ' || i END, 'echo', 'echo-1', now() - i * interval '1 minute'
    FROM generate_series(1, 200) i;
  INSERT INTO messages (session_id, role, content, created_at)
  SELECT s.id, CASE WHEN j % 2 = 1 THEN 'user' ELSE 'assistant' END,
         CASE
           WHEN n = 2 AND j = 5 THEN 'zebra zebra zebra: stripes everywhere'
           WHEN n = 3 AND j = 8 THEN 'and then a zebra appeared ' || repeat('between the long grass ', 40)
           WHEN n = 4 AND j = 2 THEN '我们 讨论 数据库 搜索'
           WHEN n = 5 AND j = 2 THEN '我们讨论数据库搜索'
           ELSE 'message ' || j || ' of session ' || n || ' talks about ' || (ARRAY['weather', 'trains', 'cooking', 'music', 'football', 'gardening'])[1 + (n + j) % 6]
                || ' and ' || md5(n::text || '-' || j::text)
         END,
         s.updated_at - interval '1 hour' + j * interval '1 second'
    FROM (SELECT id, updated_at, row_number() OVER (ORDER BY updated_at DESC) AS n FROM chat_sessions WHERE user_id = '${userId}') s,
         generate_series(1, 20) j;
  UPDATE messages m SET parent_id = ordered.previous
    FROM (SELECT id, LAG(id) OVER (PARTITION BY session_id ORDER BY created_at) AS previous FROM messages) ordered
   WHERE ordered.id = m.id AND ordered.previous IS NOT NULL;
  UPDATE chat_sessions s SET active_message_id = (SELECT id FROM messages WHERE session_id = s.id ORDER BY created_at DESC LIMIT 1)
   WHERE s.user_id = '${userId}';`;

describe('conversation library: full-text search (e2e)', () => {
  /** A server of its own: its database is seeded while no server has it open (the embedded PGlite takes one process). */
  let api: TestApp;
  let user: TestUser;
  let other: TestUser;
  const titles = new Map<string, string>();

  const search = async (query: string, who = user) => (await api.http().get(`/api/chat/sessions?q=${encodeURIComponent(query)}`).set(who.auth).expect(200)).body;
  const titlesOf = (sessions: { id: string }[]) => sessions.map((session) => titles.get(session.id));

  beforeAll(async () => {
    const first = await bootTestApp();
    [user, other] = await Promise.all([registerUser(first), registerUser(first)]);
    await readStream(`${first.url}/api/chat/stream`, { token: other.token, body: { message: 'my own zebra', provider: 'echo' } });
    await first.close({ dropDatabase: false });
    await seedDatabase(first.db, seedSql(user.id));
    api = await bootTestApp({}, first.db);
    let cursor = '';
    do {
      const page = (await api.http().get(`/api/chat/sessions?limit=100${cursor}`).set(user.auth).expect(200)).body;
      for (const session of page.sessions) titles.set(session.id, session.title);
      cursor = page.nextCursor ? `&cursor=${page.nextCursor}` : '';
    } while (cursor);
    expect(titles.size).toBe(200);
  });
  afterAll(() => api?.close());

  it('finds titles and messages of every branch, best match first, with marked snippets, for the owner only', async () => {
    const { sessions, nextCursor } = await search('zebra');
    expect(nextCursor).toBeNull();
    expect(new Set(titlesOf(sessions))).toEqual(new Set(['Zebra migration notes', 'Seeded session 2', 'Seeded session 3']));
    const byTitle = new Map<string | undefined, any>(sessions.map((session: any) => [titles.get(session.id), session]));
    // Three occurrences in a short message outrank one in a long one.
    expect(sessions.indexOf(byTitle.get('Seeded session 2'))).toBeLessThan(sessions.indexOf(byTitle.get('Seeded session 3')));
    expect(byTitle.get('Zebra migration notes').match).toEqual({ messageId: null, snippet: '«Zebra» migration notes' });
    expect(byTitle.get('Seeded session 2').match).toEqual({ messageId: expect.any(String), snippet: '«zebra» «zebra» «zebra»: stripes everywhere' });
    const long = byTitle.get('Seeded session 3').match;
    expect(long.snippet).toContain('«zebra»');
    expect(long.snippet.length).toBeLessThanOrEqual(300);
    // The preview and count come with search hits too.
    expect(byTitle.get('Seeded session 2')).toEqual(expect.objectContaining({ messageCount: 20, isGenerating: false, lastMessagePreview: expect.stringContaining('message 20 of session 2') }));

    const messages = (await api.http().get(`/api/chat/sessions/${byTitle.get('Seeded session 2').id}/messages`).set(user.auth).expect(200)).body.messages;
    expect(messages.find((message: { id: string }) => message.id === byTitle.get('Seeded session 2').match.messageId).content).toContain('zebra');

    expect((await search('zebra', other)).sessions).toHaveLength(1);
    expect((await search('ZEBRA stripes')).sessions.map((session: { id: string }) => titles.get(session.id))).toEqual(['Seeded session 2']);
    expect((await search('zebra nowhere')).sessions).toEqual([]);
    expect((await search('!!!')).sessions).toEqual([]);
  });

  it('pages through many hits with its cursor, each session once', async () => {
    const seen: string[] = [];
    let cursor = '';
    let pages = 0;
    do {
      const page = (await api.http().get(`/api/chat/sessions?q=weather&limit=30${cursor}`).set(user.auth).expect(200)).body;
      seen.push(...ids(page.sessions));
      for (const session of page.sessions) expect(session.match.snippet).toContain('«weather»');
      cursor = page.nextCursor ? `&cursor=${page.nextCursor}` : '';
      pages++;
    } while (cursor);
    // Every session has a message about the weather (the topic cycles through six).
    expect(new Set(seen).size).toBe(200);
    expect(seen).toHaveLength(200);
    expect(pages).toBe(7);
    // A list cursor is no search cursor, and the other way round.
    const listPage = (await api.http().get('/api/chat/sessions?limit=1').set(user.auth).expect(200)).body;
    await api.http().get(`/api/chat/sessions?q=weather&cursor=${listPage.nextCursor}`).set(user.auth).expect(400);
    const searchPage = (await api.http().get('/api/chat/sessions?q=weather&limit=1').set(user.auth).expect(200)).body;
    await api.http().get(`/api/chat/sessions?cursor=${searchPage.nextCursor}`).set(user.auth).expect(400);
  });

  it('matches Chinese by whole runs between spaces or punctuation, not by words inside a run', async () => {
    expect(titlesOf((await search('数据库')).sessions)).toEqual(['Seeded session 4']);
    expect(titlesOf((await search('我们讨论数据库搜索')).sessions)).toEqual(['Seeded session 5']);
  });

  it('applies the list filters to a search', async () => {
    const [hit] = (await search('stripes')).sessions;
    await api.http().patch(`/api/chat/sessions/${hit.id}`).set(user.auth).send({ archived: true }).expect(200);
    expect((await search('stripes')).sessions).toHaveLength(1);
    expect((await api.http().get('/api/chat/sessions?q=stripes&archived=false').set(user.auth).expect(200)).body.sessions).toEqual([]);
    expect(ids((await api.http().get('/api/chat/sessions?q=stripes&archived=true').set(user.auth).expect(200)).body.sessions)).toEqual([hit.id]);
  });

  it('reports the median search time over the seeded messages (measured, not asserted)', async () => {
    const times: number[] = [];
    for (let i = 0; i < 40; i++) {
      const started = performance.now();
      await api.http().get(`/api/chat/sessions?q=${['weather', 'zebra', 'trains cooking', 'session'][i % 4]}&limit=20`).set(user.auth).expect(200);
      times.push(performance.now() - started);
    }
    times.sort((x, y) => x - y);
    console.log(`search p50 over 4,000 messages on ${api.db.kind}: ${times[20]!.toFixed(1)} ms (HTTP round trip, 40 queries)`);
  });
});

/** A ChatGPT `conversations.json` as its export writes it: a mapping tree with a hidden root and system node, an edited question, a regenerated answer. */
function chatGptExport() {
  const node = (id: string, parent: string | null, children: string[], message: Record<string, unknown> | null) => ({ id, parent, children, message });
  const say = (id: string, role: string, text: string, time: number, extra: Record<string, unknown> = {}) => ({
    id,
    author: { role, name: null, metadata: {} },
    create_time: time,
    update_time: null,
    content: { content_type: 'text', parts: [text] },
    status: 'finished_successfully',
    end_turn: role === 'assistant' ? true : null,
    weight: 1,
    metadata: role === 'assistant' ? { model_slug: 'gpt-4o', ...extra } : extra,
    recipient: 'all',
  });
  return [
    {
      title: 'Trip to Kyoto',
      create_time: 1_717_000_000.5,
      update_time: 1_717_000_500.25,
      mapping: {
        root: node('root', null, ['sys'], null),
        sys: node('sys', 'root', ['q1', 'q1b'], say('sys', 'system', '', 1_717_000_000, { is_visually_hidden_from_conversation: true })),
        q1: node('q1', 'sys', ['a1'], say('q1', 'user', 'Plan three days in Kyoto', 1_717_000_010)),
        a1: node('a1', 'q1', [], say('a1', 'assistant', 'Day 1: Fushimi Inari…', 1_717_000_020)),
        q1b: node('q1b', 'sys', ['a1b', 'a1c'], say('q1b', 'user', 'Plan two days in Kyoto', 1_717_000_100)),
        a1b: node('a1b', 'q1b', [], say('a1b', 'assistant', 'Day 1: Kiyomizu-dera…', 1_717_000_110)),
        a1c: node('a1c', 'q1b', ['tool'], say('a1c', 'assistant', 'Day 1: Arashiyama…', 1_717_000_120)),
        tool: node('tool', 'a1c', [], say('tool', 'tool', 'search results', 1_717_000_130)),
      },
      moderation_results: [],
      current_node: 'tool',
      plugin_ids: null,
      conversation_id: 'c0ffee00-0000-4000-8000-000000000001',
      conversation_template_id: null,
      id: 'c0ffee00-0000-4000-8000-000000000001',
    },
    {
      title: '数据库 question',
      create_time: 1_718_000_000,
      update_time: 1_718_000_100,
      mapping: {
        r: node('r', null, ['u'], null),
        u: node('u', 'r', ['b'], say('u', 'user', '什么是 GIN 索引？', 1_718_000_010)),
        b: node('b', 'u', [], say('b', 'assistant', 'GIN 是倒排索引。', 1_718_000_020)),
      },
      current_node: 'b',
      id: 'c0ffee00-0000-4000-8000-000000000002',
    },
  ];
}

describe('conversation library: export and import (e2e)', () => {
  let user: TestUser;
  let other: TestUser;
  const sessionCount = async (who = user) => {
    let count = 0;
    for (const archived of ['true', 'false']) count += (await api.http().get(`/api/chat/sessions?limit=100&archived=${archived}`).set(who.auth).expect(200)).body.sessions.length;
    return count;
  };
  const messagesOf = async (id: string, view = 'branch') => (await api.http().get(`/api/chat/sessions/${id}/messages?view=${view}`).set(user.auth).expect(200)).body.messages;

  beforeAll(async () => {
    [user, other] = await Promise.all([registerUser(api), registerUser(api)]);
  });

  it('exports a session as JSON (every branch) and Markdown (the branch shown), and imports the JSON back as a new session', async () => {
    const started = await readStream(`${api.url}/api/chat/stream`, { token: user.token, body: { message: 'export me', provider: 'echo' } });
    const id = started.events[0]!.data.sessionId as string;
    await readStream(`${api.url}/api/chat/sessions/${id}/regenerate`, { token: user.token, body: {} });
    await api.http().patch(`/api/chat/sessions/${id}`).set(user.auth).send({ tags: ['kept'] }).expect(200);

    const json = await api.http().get(`/api/chat/sessions/${id}/export?format=json`).set(user.auth).expect(200);
    expect(json.headers['content-type']).toMatch(/^application\/json/);
    expect(json.headers['content-disposition']).toBe(`attachment; filename="chat-${id}.json"`);
    const file = JSON.parse(json.text);
    expect(file).toEqual({
      format: 'llm-chat-export',
      version: 1,
      session: expect.objectContaining({ id, title: 'export me', provider: 'echo', tags: ['kept'], activeMessageId: expect.any(String) }),
      messages: [
        expect.objectContaining({ role: 'user', content: 'export me', parentId: null }),
        expect.objectContaining({ role: 'assistant', content: 'Echo: export me' }),
        expect.objectContaining({ role: 'assistant', content: 'Echo: export me' }),
      ],
    });
    expect(JSON.stringify(file)).not.toMatch(/Tokens|responseTime|apiKey/);

    const markdown = await api.http().get(`/api/chat/sessions/${id}/export?format=markdown`).set(user.auth).expect(200);
    expect(markdown.headers['content-type']).toMatch(/^text\/markdown/);
    expect(markdown.text).toBe('# export me\n\n## You\n\nexport me\n\n## Assistant (echo-1)\n\nEcho: export me\n');

    const report = (await api.http().post('/api/chat/import').set(user.auth).send(file).expect(201)).body;
    expect(report).toEqual({ sessions: [{ id: expect.any(String), title: 'export me', messages: 3 }], messages: 3 });
    const copy = report.sessions[0].id;
    expect(copy).not.toBe(id);
    const original = await messagesOf(id, 'all');
    const imported = await messagesOf(copy, 'all');
    const shape = (messages: any[]) => messages.map((message) => [message.role, message.content, message.siblingIds.length]);
    expect(shape(imported)).toEqual(shape(original));
    expect((await messagesOf(copy)).map((message: { id: string }) => imported.findIndex((m: { id: string }) => m.id === message.id))).toEqual([0, 2]);
    expect((await api.http().get(`/api/chat/sessions/${copy}`).set(user.auth).expect(200)).body.tags).toEqual(['kept']);

    await api.http().get(`/api/chat/sessions/${id}/export`).set(other.auth).expect(404);
    await api.http().get(`/api/chat/sessions/${id}/export?format=pdf`).set(user.auth).expect(400);
  });

  it('carries every kind of part through import, JSON and Markdown export and a shared link; refuses bad parts naming where', async () => {
    const conversation = (messages: unknown[]) => ({ format: 'llm-chat-export', version: 1, session: { title: 'Parts', provider: 'echo', model: 'echo-1' }, messages });
    const file = conversation([
      { id: 'q', parentId: null, role: 'user', content: 'What is it?', parts: [{ type: 'file', fileId: 'someone-elses', mediaType: 'image/png', filename: 'cat.png' }, { type: 'text', text: ' What is it?' }] },
      {
        id: 'a',
        parentId: 'q',
        role: 'assistant',
        content: '',
        parts: [
          { type: 'reasoning', text: 'Look it up.\nThen answer.', metadata: { signature: 'forged' } },
          { type: 'reasoning', text: '', metadata: { redactedData: 'forged' } },
          { type: 'tool_call', id: 'call_1', name: 'look_up', arguments: '{"q":"```cat```"}' },
        ],
      },
      { id: 't', parentId: 'a', role: 'tool', content: '', parts: [{ type: 'tool_result', toolCallId: 'call_1', content: 'a cat' }] },
      { id: 'b', parentId: 't', role: 'assistant', content: 'A cat.' },
    ]);
    const id = (await api.http().post('/api/chat/import').set(user.auth).send(file).expect(201)).body.sessions[0].id;
    const parts = [
      [{ type: 'text', text: '[file: cat.png]' }, { type: 'text', text: ' What is it?' }],
      [{ type: 'reasoning', text: 'Look it up.\nThen answer.' }, { type: 'tool_call', id: 'call_1', name: 'look_up', arguments: '{"q":"```cat```"}' }],
      [{ type: 'tool_result', toolCallId: 'call_1', content: 'a cat' }],
      [{ type: 'text', text: 'A cat.' }],
    ];
    expect((await messagesOf(id)).map((message: { role: string; parts: unknown }) => [message.role, message.parts])).toEqual(
      ['user', 'assistant', 'tool', 'assistant'].map((role, index) => [role, parts[index]]),
    );
    const exported = JSON.parse((await api.http().get(`/api/chat/sessions/${id}/export?format=json`).set(user.auth).expect(200)).text);
    expect(exported.messages.map((message: { parts: unknown }) => message.parts)).toEqual(parts);
    expect(JSON.stringify(exported)).not.toMatch(/forged|someone-elses/);

    const markdown = (await api.http().get(`/api/chat/sessions/${id}/export?format=markdown`).set(user.auth).expect(200)).text;
    expect(markdown).toBe(
      [
        '# Parts',
        '## You',
        '[file: cat.png]\n\n What is it?',
        '## Assistant',
        '<details>\n<summary>Reasoning</summary>\n\n> Look it up.\n> Then answer.\n\n</details>',
        '**Tool call** `look_up` (`call_1`)',
        '````json\n{"q":"```cat```"}\n````',
        '## Tool results',
        '**Tool result** for `call_1`',
        '```\na cat\n```',
        '## Assistant',
        'A cat.\n',
      ].join('\n\n'),
    );

    const shared = (await api.http().post(`/api/chat/sessions/${id}/share`).set(user.auth).send({}).expect(201)).body;
    expect((await api.http().get(shared.url).expect(200)).body.messages.map((message: { parts: unknown }) => message.parts)).toEqual(parts);

    const bad = [
      [{ id: 'q', parentId: null, role: 'user', content: 'x', parts: [{ type: 'text', text: 'x' }, { type: 'image_url', url: 'http://x' }] }, 'conversation.messages[0].parts[1].type'],
      [{ id: 'q', parentId: null, role: 'tool', content: 'x' }, 'conversation.messages[0].parts'],
      [{ id: 'q', parentId: null, role: 'user', content: 'x', parts: [{ type: 'tool_result', toolCallId: 'c', content: 'x' }] }, 'conversation.messages[0].parts[0].type'],
      [{ id: 'q', parentId: null, role: 'user', content: 'x', parts: [{ type: 'file', fileId: 'f', mediaType: 7 }] }, 'conversation.messages[0].parts[0].mediaType'],
    ] as const;
    for (const [message, where] of bad) {
      const response = await api.http().post('/api/chat/import').set(user.auth).send(conversation([message])).expect(400);
      expect(response.body).toEqual(expect.objectContaining({ statusCode: 400, code: 'VALIDATION_FAILED', message: expect.stringContaining(`${where}:`) }));
    }
  });

  it("imports ChatGPT's conversations.json: its mapping tree becomes versions of turns, the current node the branch shown", async () => {
    const before = await sessionCount();
    const report = (await api.http().post('/api/chat/import').set(user.auth).send(chatGptExport()).expect(201)).body;
    expect(report).toEqual({
      sessions: [
        { id: expect.any(String), title: 'Trip to Kyoto', messages: 5 },
        { id: expect.any(String), title: '数据库 question', messages: 2 },
      ],
      messages: 7,
    });
    expect(await sessionCount()).toBe(before + 2);
    const kyoto = report.sessions[0].id;
    const session = (await api.http().get(`/api/chat/sessions/${kyoto}`).set(user.auth).expect(200)).body;
    expect(session).toEqual(expect.objectContaining({ provider: 'openai', model: 'gpt-4o', createdAt: '2024-05-29T16:26:40.500Z', updatedAt: '2024-05-29T16:35:00.250Z' }));
    const all = await messagesOf(kyoto, 'all');
    expect(all.map((message: any) => [message.role, message.content])).toEqual([
      ['user', 'Plan three days in Kyoto'],
      ['assistant', 'Day 1: Fushimi Inari…'],
      ['user', 'Plan two days in Kyoto'],
      ['assistant', 'Day 1: Kiyomizu-dera…'],
      ['assistant', 'Day 1: Arashiyama…'],
    ]);
    // The two questions are versions of the first turn; the current node (a tool message) maps to its reply.
    expect(all[2].siblingIds).toEqual([all[0].id, all[2].id]);
    expect(all[4].siblingIds).toEqual([all[3].id, all[4].id]);
    expect((await messagesOf(kyoto)).map((message: { content: string }) => message.content)).toEqual(['Plan two days in Kyoto', 'Day 1: Arashiyama…']);
    expect(all[4]).toEqual(expect.objectContaining({ model: 'gpt-4o', provider: 'openai', status: 'complete' }));
    // Imported text is searchable at once.
    expect((await api.http().get('/api/chat/sessions?q=GIN').set(user.auth).expect(200)).body.sessions.map((s: { id: string }) => s.id)).toEqual([report.sessions[1].id]);
  });

  it('streams every session as JSON lines', async () => {
    const response = await api.http().get('/api/chat/export').set(user.auth).expect(200);
    expect(response.headers['content-type']).toMatch(/^application\/x-ndjson/);
    const lines = response.text.trimEnd().split('\n').map((line) => JSON.parse(line));
    expect(lines).toHaveLength(await sessionCount());
    expect(new Set(lines.map((line) => line.format))).toEqual(new Set(['llm-chat-export']));
    expect(lines.map((line) => line.session.title)).toEqual(expect.arrayContaining(['Trip to Kyoto', 'export me']));
    expect((await api.http().get('/api/chat/export').set(other.auth).expect(200)).text).toBe('');
  });

  it('refuses a malformed or oversized file whole, writing nothing', async () => {
    const before = await sessionCount();
    const good = chatGptExport();
    const broken = (change: (file: any[]) => void) => {
      const file = structuredClone(good);
      change(file);
      return file;
    };
    const bad: unknown[] = [
      {},
      [],
      'conversations',
      [{ title: 'no mapping' }],
      broken((file) => (file[1].mapping.b.parent = 'missing')),
      broken((file) => {
        file[1].mapping.u.parent = 'b';
        file[1].mapping.r.children = [];
      }),
      broken((file) => (file[1].mapping.u.message.content.parts = ['x'.repeat(400_001)])),
      broken((file) => (file[1].mapping.u.message.create_time = 'yesterday')),
      broken((file) => (file[1].mapping = { r: { id: 'r', parent: null, children: [], message: null } })),
      broken((file) => (file[1].mapping.u.message.author = 'user')),
      { format: 'llm-chat-export', version: 2, session: {}, messages: [] },
      { format: 'llm-chat-export', version: 1, session: { title: 't', provider: 'echo', model: 'echo-1' }, messages: [{ id: 'a', parentId: 'a', role: 'user', content: 'loop' }] },
      { format: 'llm-chat-export', version: 1, session: { title: 't', provider: 'echo', model: 'echo-1' }, messages: [{ id: 'a', parentId: null, role: 'robot', content: 'x' }] },
      { format: 'llm-chat-export', version: 1, session: { title: 't', provider: 'x'.repeat(33), model: 'm' }, messages: [] },
    ];
    for (const [index, file] of bad.entries()) {
      // The 400,001-character message above is over the test's 64 KiB limit, hence 413 for it, 400 for the rest.
      const text = JSON.stringify(file);
      const response = await api.http().post('/api/chat/import').set(user.auth).set('Content-Type', 'application/json').send(text);
      expect([index, response.status]).toEqual([index, text.length > 65_536 ? 413 : 400]);
      expect(response.body).toEqual(expect.objectContaining({ statusCode: response.status, message: expect.any(String) }));
    }
    await api.http().post('/api/chat/import').set(user.auth).set('Content-Type', 'application/json').send('[{"mapping": {').expect(400);
    await api.http().post('/api/chat/import').set(user.auth).set('Content-Type', 'application/json').send(JSON.stringify([...good, { title: 'big', mapping: { r: { parent: null, message: null, filler: 'x'.repeat(70_000) } } }])).expect(413);
    await api.http().post('/api/chat/import').set(user.auth).send([...good, ...bad.slice(4, 5)].flat()).expect(400);
    expect(await sessionCount()).toBe(before);
  });
});
