import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { EventSource } from 'eventsource';
import { type FakeLlmServer, startFakeLlm } from '../apps/fake-llm/src/fake-llm.server.js';
import { configureFakeProvider, FAKE_UPSTREAM_ENV } from './factories/provider.factory.js';
import { registerUser, type TestUser } from './factories/user.factory.js';
import { bootTestApp, type TestApp } from './helpers/test-app.js';

/** Listens until `enough` says so (or the stream ends), then closes: what a page does before it is reloaded. */
function listen(url: string, enough: (texts: string[]) => boolean) {
  return new Promise<{ texts: string[]; lastId: string; done: boolean }>((resolve, reject) => {
    const source = new EventSource(url);
    const texts: string[] = [];
    let lastId = '';
    let finished = false;
    const finish = (done: boolean) => {
      finished = true;
      source.close();
      resolve({ texts, lastId, done });
    };
    source.addEventListener('message', (event) => {
      // close() does not stop the rest of a chunk already read (a loaded machine gets several deltas to a chunk):
      // kept, those would lie past the lastId handed over, and the resume sends them again.
      if (finished) return;
      texts.push((JSON.parse(event.data) as { content: string }).content);
      lastId = event.lastEventId;
      if (enough(texts)) finish(false);
    });
    source.addEventListener('done', () => finish(true));
    source.onerror = (error) => {
      source.close();
      reject(new Error(`EventSource failed: ${error.message ?? error.code}`));
    };
  });
}

describe('stream tokens live STREAM_TOKEN_TTL and are renewed to reconnect after they expired (e2e)', () => {
  let api: TestApp;
  let fake: FakeLlmServer;
  let user: TestUser;

  beforeAll(async () => {
    fake = await startFakeLlm({ port: 0 });
    api = await bootTestApp({ ...FAKE_UPSTREAM_ENV, STREAM_TOKEN_TTL: '2s' });
    user = await registerUser(api);
    await configureFakeProvider(api, user, 'openai', fake.url);
  });
  afterAll(async () => {
    await api?.close();
    await fake?.close();
  });

  it('refuses an expired token; a renewed one continues after Last-Event-ID, and the page shows the saved reply', async () => {
    const started = await fetch(`${api.url}/api/chat/stream`, {
      method: 'POST',
      headers: { ...user.auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({ message: 'a long reply', provider: 'openai', model: 'fake:deltas=80,delay=50', detach: true }),
    });
    const first = new TextDecoder().decode((await started.body!.getReader().read()).value);
    const sessionId = /"sessionId":"([0-9a-f-]{36})"/.exec(first)![1]!;
    await started.body!.cancel().catch(() => undefined);

    const issue = async () => (await api.http().post(`/api/chat/sessions/${sessionId}/stream-token`).set(user.auth).expect(200)).body as { token: string; expiresAt: string };
    const streamUrl = (token: string, lastEventId?: string) =>
      `${api.url}/api/chat/sessions/${sessionId}/stream?token=${encodeURIComponent(token)}${lastEventId ? `&lastEventId=${encodeURIComponent(lastEventId)}` : ''}`;

    const old = await issue();
    expect(new Date(old.expiresAt).getTime() - Date.now()).toBeLessThanOrEqual(2_000);
    const before = await listen(streamUrl(old.token), (texts) => texts.length >= 5);
    // The page is away longer than the token lives.
    await new Promise((done) => setTimeout(done, Math.max(0, new Date(old.expiresAt).getTime() - Date.now()) + 1_100));
    expect((await fetch(streamUrl(old.token, before.lastId))).status).toBe(401);

    const renewed = await issue();
    const after = await listen(streamUrl(renewed.token, before.lastId), () => false);
    expect(after.done).toBe(true);
    const { body } = await api.http().get(`/api/chat/sessions/${sessionId}/messages`).set(user.auth).expect(200);
    expect([...before.texts, ...after.texts].join('')).toBe(body.messages[1].content);
    expect(body.messages[1].status).toBe('complete');
  });
});
