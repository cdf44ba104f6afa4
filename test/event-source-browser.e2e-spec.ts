import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { type FakeLlmServer, replyText, startFakeLlm } from '../apps/fake-llm/src/fake-llm.server.js';
import { configureFakeProvider, FAKE_UPSTREAM_ENV } from './factories/provider.factory.js';
import { registerUser, type TestUser } from './factories/user.factory.js';
import { launchChromium, withBrowser } from './helpers/chromium.js';
import { eventually } from './helpers/eventually.js';
import { type PageServer, startPageServer } from './helpers/page-server.js';
import { bootTestApp, type TestApp } from './helpers/test-app.js';

const DELTAS = 120;
const expectedText = replyText(DELTAS);

/** The README's `follow` recipe itself, so that what the README tells browsers to do is what runs here. */
function readmeFollowRecipe(): string {
  const readme = readFileSync('README.md', 'utf8');
  const section = readme.indexOf('**Browser `EventSource`: reload the page and continue the reply**');
  const code = /```js\n([\s\S]*?)```/.exec(readme.slice(section));
  if (section < 0 || !code?.[1]?.includes('async function follow(')) throw new Error('README.md no longer has the EventSource recipe this suite runs');
  return code[1];
}

/**
 * A page on its own origin runs the recipe with the API as its base URL (the recipe's paths are relative). It
 * shows each text it gets and also keeps it, so that what it showed across reloads can be read back whole.
 */
const followPage = (apiUrl: string) => `<!doctype html>
<base href="${apiUrl}/">
<title>follow</title>
<p id="reply"></p>
<script>
${readmeFollowRecipe()}
const { sessionId, accessToken } = window.followConfig;
follow(sessionId, accessToken, (text) => {
  localStorage.setItem('shown', (localStorage.getItem('shown') ?? '') + text);
  document.getElementById('reply').textContent += text;
});
</script>`;

withBrowser("the README's EventSource recipe in a real browser: reload and continue with a renewed stream token (e2e)", () => {
  let api: TestApp;
  let fake: FakeLlmServer;
  let portal: PageServer;
  let browser: Browser;
  let user: TestUser;

  beforeAll(async () => {
    fake = await startFakeLlm({ port: 0 });
    // The portal's origin is only known once it listens, and its page needs the API's URL: a late-bound page.
    const files: Record<string, string> = {};
    portal = await startPageServer(files);
    api = await bootTestApp({ ...FAKE_UPSTREAM_ENV, CORS_ORIGINS: portal.origin, STREAM_TOKEN_TTL: '2s' });
    files['/'] = followPage(api.url);
    user = await registerUser(api);
    await configureFakeProvider(api, user, 'openai', fake.url);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await api?.close();
    await fake?.close();
    await portal?.close();
  });

  it('shows the whole reply once, across a reload made after the first stream token expired', async () => {
    const started = await fetch(`${api.url}/api/chat/stream`, {
      method: 'POST',
      headers: { ...user.auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({ message: 'a long reply', provider: 'openai', model: `fake:deltas=${DELTAS},delay=50`, detach: true }),
    });
    const first = new TextDecoder().decode((await started.body!.getReader().read()).value);
    const sessionId = /"sessionId":"([0-9a-f-]{36})"/.exec(first)![1]!;
    await started.body!.cancel().catch(() => undefined);

    const page: Page = await browser.newPage();
    const streams: string[] = [];
    const tokens: { expiresAt: string }[] = [];
    page.on('request', (request) => void (request.url().includes('/stream?token=') && streams.push(request.url())));
    page.on('response', (response) => void (response.url().endsWith('/stream-token') && response.json().then((body: { expiresAt: string }) => tokens.push(body))));
    await page.addInitScript((config) => Object.assign(globalThis, { followConfig: config }), { sessionId, accessToken: user.token });
    await page.goto(portal.origin);
    const shown = () => page.evaluate<string>("localStorage.getItem('shown') ?? ''");

    // The token's body is read after its response event, so it may be recorded after the page shows text: wait for both.
    await eventually(async () => {
      expect((await shown()).length).toBeGreaterThan(0);
      expect(tokens.length).toBeGreaterThanOrEqual(1);
    });
    // On a slow machine the page may already have renewed a token that expired before it connected: count from here.
    const streamsBefore = streams.length;
    // The page stays until its stream token has expired, then reloads mid-reply.
    await new Promise((done) => setTimeout(done, Math.max(0, new Date(tokens.at(-1)!.expiresAt).getTime() - Date.now()) + 1_100));
    expect((await fetch(streams.at(-1)!)).status).toBe(401);
    expect((await shown()).length).toBeLessThan(expectedText.length);
    await page.reload();

    await eventually(async () => expect(await shown()).toBe(expectedText), 30_000);
    // Done: the recipe forgot the last event id. One more stream, with a new token, went on after the last event shown.
    await eventually(async () => expect(await page.evaluate<string | null>(`localStorage.getItem('last-event:${sessionId}')`)).toBeNull());
    expect(streams).toHaveLength(streamsBefore + 1);
    const [before, after] = [streams[streamsBefore - 1]!, streams[streamsBefore]!].map((url) => new URL(url).searchParams);
    expect(after!.get('token')).not.toBe(before!.get('token'));
    expect(new URL(streams[0]!).searchParams.get('lastEventId')).toBeNull();
    expect(after!.get('lastEventId')).toMatch(/\S/);
    // The reloaded page shows the rest of the reply, nothing it had shown before.
    const rest = (await page.locator('#reply').textContent())!;
    expect(expectedText.endsWith(rest) && rest.length < expectedText.length).toBe(true);
    const { body } = await api.http().get(`/api/chat/sessions/${sessionId}/messages`).set(user.auth).expect(200);
    expect(body.messages[1]).toEqual(expect.objectContaining({ content: expectedText, status: 'complete' }));
  });
});
