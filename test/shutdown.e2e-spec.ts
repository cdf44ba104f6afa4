import { describe, expect, it } from '@jest/globals';
import { connect } from 'node:net';
import { configureFakeProvider, FAKE_UPSTREAM_ENV } from './factories/provider.factory.js';
import { registerUser } from './factories/user.factory.js';
import { eventually } from './helpers/eventually.js';
import { readStream } from './helpers/sse-client.js';
import { bootTestApp } from './helpers/test-app.js';
import { useRestartBench } from './helpers/restart-bench.js';

const SHORT = 'fake:deltas=8,delay=100';
const LONG = 'fake:deltas=400,delay=50';

describe('graceful shutdown (e2e)', () => {
  const bench = useRestartBench();

  it('on SIGTERM with 50 streams in flight: refuses new work, lets short replies finish, saves the rest as aborted, exits 0', async () => {
    const env = { ...FAKE_UPSTREAM_ENV, SHUTDOWN_GRACE_MS: '2000' };
    // --trace-exit reports any call of process.exit(): once closed, the process must end by its event loop draining,
    // the exit that cannot deadlock (apps/api/src/process-exit.ts), so the close left no handle open.
    const api = await bootTestApp({ ...env, NODE_OPTIONS: '--trace-exit' }, bench.database);
    const user = await registerUser(api);
    await configureFakeProvider(api, user, 'openai', bench.fake.url);

    const started: Promise<void>[] = [];
    /** A stream read to its end, `started` told once its first delta (native: `message`; /v1: any event) arrives. */
    const open = (path: string, body: object, isDelta: (event: { event: string }) => boolean) => {
      let markStarted!: () => void;
      started.push(new Promise((resolve) => (markStarted = resolve)));
      return readStream(`${api.url}${path}`, {
        token: user.token,
        body,
        until: (event) => {
          if (isDelta(event)) markStarted();
          return false;
        },
      });
    };
    const streams = Array.from({ length: 50 }, (_, i) =>
      open('/api/chat/stream', { message: `stream ${i}`, provider: 'openai', model: i % 2 === 0 ? SHORT : LONG }, (event) => event.event === 'message'),
    );
    // /v1 turns that are not stored: their usage records wait to be written together (UsageRecordBatcher).
    const unstored = Array.from({ length: 4 }, (_, i) =>
      open('/v1/chat/completions', { model: `openai/${LONG}`, stream: true, store: false, messages: [{ role: 'user', content: `unstored ${i}` }] }, () => true),
    );
    await Promise.all(started);
    const exitCode = api.stop('SIGTERM');
    // No new connection is accepted any more, well within the grace period (the long replies run for 20 s): polled,
    // because a server on a loaded machine may take a few hundred ms to handle the signal.
    const attempt = () =>
      new Promise<string>((resolve) => {
        const socket = connect(Number(new URL(api.url).port), '127.0.0.1');
        socket.once('connect', () => (socket.destroy(), resolve('accepted')));
        socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
      });
    await eventually(async () => expect(await attempt()).toBe('ECONNREFUSED'), 1500);

    const results = await Promise.all(streams);
    await Promise.all(unstored);
    expect(await exitCode).toBe(0);
    expect(api.output()).not.toContain('Exited the environment');
    const short = results.filter((_, i) => i % 2 === 0);
    const long = results.filter((_, i) => i % 2 === 1);
    for (const result of short) expect(result.events.at(-1)!.event).toBe('done');
    for (const result of long) expect(result.events.at(-1)!.data).toEqual(expect.objectContaining({ code: 'server_shutdown' }));

    // Every reply is saved and marked, as a restarted server shows.
    const again = await bootTestApp(env, bench.database);
    try {
      const login = await again.http().post('/api/auth/login').send({ email: user.email, password: user.password }).expect(200);
      const auth = { Authorization: `Bearer ${login.body.accessToken}` };
      for (const [i, result] of results.entries()) {
        const sessionId = result.events[0]!.data.sessionId;
        const { body } = await again.http().get(`/api/chat/sessions/${sessionId}/messages`).set(auth).expect(200);
        const reply = body.messages[1];
        if (i % 2 === 0) expect(reply).toEqual(expect.objectContaining({ status: 'complete', content: result.text }));
        else {
          expect(reply).toEqual(expect.objectContaining({ status: 'aborted', errorCode: 'server_shutdown' }));
          expect(reply.content).toBe(result.text);
          expect(reply.content.length).toBeGreaterThan(0);
        }
      }
      // Every reply is counted: the unstored ones' records were written before the process exited.
      const { body: report } = await again.http().get('/api/usage?groupBy=model').set(auth).expect(200);
      expect(report.rows).toEqual(
        expect.arrayContaining([expect.objectContaining({ key: `openai/${SHORT}`, replies: 25 }), expect.objectContaining({ key: `openai/${LONG}`, replies: 25 + 4 })]),
      );
    } finally {
      await again.close({ dropDatabase: false });
    }
  });
});
