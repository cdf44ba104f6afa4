import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { type FakeLlmServer, startFakeLlm } from '../apps/fake-llm/src/fake-llm.server.js';
import { configureFakeProvider, FAKE_UPSTREAM_ENV } from './factories/provider.factory.js';
import { registerUser, signAccessToken } from './factories/user.factory.js';
import { eventually } from './helpers/eventually.js';
import { readStream } from './helpers/sse-client.js';
import { describeWith, POSTGRES } from './helpers/suite-requirements.js';
import { bootTestApp, type TestApp } from './helpers/test-app.js';

/** Needs a database server to take away: runs in the PostgreSQL pass of CI (TEST_DATABASE_URL). */
const onPostgres = describeWith(POSTGRES);

onPostgres('database outage during a stream (e2e)', () => {
  let api: TestApp;
  let fake: FakeLlmServer;
  let admin: pg.Client;
  let database: string;

  const cutDatabase = async () => {
    await admin.query(`ALTER DATABASE "${database}" ALLOW_CONNECTIONS false`);
    await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [database]);
  };
  const restoreDatabase = () => admin.query(`ALTER DATABASE "${database}" ALLOW_CONNECTIONS true`);
  const usageRecordsOf = async (messageId: string): Promise<number> => {
    const own = new pg.Client({ connectionString: api.db.env.DATABASE_URL });
    await own.connect();
    try {
      return (await own.query(`SELECT count(*)::int AS n FROM usage_records WHERE message_id = $1`, [messageId])).rows[0].n;
    } finally {
      await own.end();
    }
  };

  beforeAll(async () => {
    fake = await startFakeLlm({ port: 0 });
    api = await bootTestApp(FAKE_UPSTREAM_ENV);
    database = new URL(api.db.env.DATABASE_URL!).pathname.slice(1);
    admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await admin.connect();
  });
  afterAll(async () => {
    await restoreDatabase();
    await admin?.end();
    await api?.close();
    await fake?.close();
  });

  it('tells the client the save is delayed, answers 503 meanwhile, recovers, and saves the reply complete', async () => {
    const user = await registerUser(api);
    await configureFakeProvider(api, user, 'openai', fake.url);
    let cut: Promise<void> | undefined;
    const stream = await readStream(`${api.url}/api/chat/stream`, {
      token: user.token,
      body: { message: 'during an outage', provider: 'openai', model: 'fake:deltas=20,delay=50' },
      until: (event, events) => {
        if (event.event === 'message' && events.filter((e) => e.event === 'message').length === 3) cut = cutDatabase();
        return false;
      },
    });
    await cut;
    // The reply is complete but cannot be saved yet: the client is told the save is delayed, not that it failed.
    const sessionId = stream.events[0]!.data.sessionId;
    const replyId = stream.events[0]!.data.messageId;
    expect(stream.events.at(-1)).toEqual({ event: 'error', id: expect.any(String), data: expect.objectContaining({ code: 'persistence_delayed', messageId: replyId }) });
    expect(stream.events.filter((event) => event.event === 'message')).toHaveLength(20);

    const during = await api.http().get('/api/chat/sessions').set(user.auth);
    expect(during.status).toBe(503);
    expect(during.body).toEqual(expect.objectContaining({ statusCode: 503, code: 'DATABASE_UNAVAILABLE' }));
    // A signed token of a user this server has not seen lately cannot be checked: 503, not 401 or 500.
    const unchecked = await api.http().get('/api/auth/me').set('Authorization', `Bearer ${signAccessToken(randomUUID())}`);
    expect(unchecked.body).toEqual(expect.objectContaining({ statusCode: 503, code: 'DATABASE_UNAVAILABLE' }));
    expect((await api.http().get('/api/health/ready')).status).toBe(503);

    await restoreDatabase();
    const reply = await eventually(async () => {
      const { body } = await api.http().get(`/api/chat/sessions/${sessionId}/messages`).set(user.auth).expect(200);
      expect(body.messages[1].status).not.toBe('streaming');
      return body.messages[1];
    }, 15_000);
    expect(reply).toEqual(expect.objectContaining({ status: 'complete', content: stream.text }));
    // Its usage is written with it, so it is counted once the database is back, and once only.
    expect(reply.usage).toEqual(expect.objectContaining({ estimated: false, completionTokens: expect.any(Number) }));
    expect(await usageRecordsOf(replyId)).toBe(1);
    await api.http().get('/api/health/ready').expect(200);
    const after = await readStream(`${api.url}/api/chat/stream`, { token: user.token, body: { message: 'back again', provider: 'echo' } });
    expect(after.events.at(-1)!.event).toBe('done');
  });

  it('says persistence_error at once, and marks the reply failed, when the database refuses the reply itself', async () => {
    const user = await registerUser(api);
    await configureFakeProvider(api, user, 'openai', fake.url);
    const own = new pg.Client({ connectionString: api.db.env.DATABASE_URL });
    await own.connect();
    // The fake's replies say "fox"; the question does not: the turn is written, the finished reply refused.
    await own.query(`ALTER TABLE messages ADD CONSTRAINT no_fox CHECK (content NOT LIKE '%fox%') NOT VALID`);
    try {
      const stream = await readStream(`${api.url}/api/chat/stream`, { token: user.token, body: { message: 'refused', provider: 'openai', model: 'fake:deltas=5' } });
      const replyId = stream.events[0]!.data.messageId;
      expect(stream.events.at(-1)).toEqual({ event: 'error', id: expect.any(String), data: expect.objectContaining({ code: 'persistence_error', messageId: replyId }) });
      const { body } = await api.http().get(`/api/chat/sessions/${stream.events[0]!.data.sessionId}/messages`).set(user.auth).expect(200);
      expect(body.messages[1]).toEqual(expect.objectContaining({ id: replyId, status: 'error', errorCode: 'persistence_error', content: '' }));
      // The refused statement held the reply's usage too: it is recorded on its own.
      expect(await usageRecordsOf(replyId)).toBe(1);
    } finally {
      await own.query('ALTER TABLE messages DROP CONSTRAINT no_fox');
      await own.end();
    }
  });

  it('saves the reply when the database refuses only its usage record', async () => {
    const user = await registerUser(api);
    await configureFakeProvider(api, user, 'openai', fake.url);
    const own = new pg.Client({ connectionString: api.db.env.DATABASE_URL });
    await own.connect();
    await own.query(`ALTER TABLE usage_records ADD CONSTRAINT no_usage CHECK (completion_tokens < 0) NOT VALID`);
    try {
      const stream = await readStream(`${api.url}/api/chat/stream`, { token: user.token, body: { message: 'kept', provider: 'openai', model: 'fake:deltas=5' } });
      const replyId = stream.events[0]!.data.messageId;
      expect(stream.events.at(-1)!.event).toBe('done');
      const { body } = await api.http().get(`/api/chat/sessions/${stream.events[0]!.data.sessionId}/messages`).set(user.auth).expect(200);
      expect(body.messages[1]).toEqual(expect.objectContaining({ id: replyId, status: 'complete', content: stream.text, usage: null }));
      expect(await usageRecordsOf(replyId)).toBe(0);
    } finally {
      await own.query('ALTER TABLE usage_records DROP CONSTRAINT no_usage');
      await own.end();
    }
  });
});
