import { afterAll, beforeAll, beforeEach, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { type FakeLlmServer, replyText, startFakeLlm } from '../apps/fake-llm/src/fake-llm.server.js';
import { configureFakeProvider, FAKE_UPSTREAM_ENV } from './factories/provider.factory.js';
import { registerUser, type TestUser } from './factories/user.factory.js';
import { launchChromium, withBrowser } from './helpers/chromium.js';
import { eventually } from './helpers/eventually.js';
import { type PageServer, startPageServer } from './helpers/page-server.js';
import { bootTestApp, type TestApp } from './helpers/test-app.js';
import { buildPage } from './helpers/vite-page.js';


/** A React portal on its own origin using the AI SDK's useChat against POST /api/ui/chat, as its README recipe says. */
withBrowser('the AI SDK useChat in a real browser (e2e)', () => {
  let api: TestApp;
  let fake: FakeLlmServer;
  let portal: PageServer;
  let browser: Browser;
  let user: TestUser;

  beforeAll(async () => {
    portal = await startPageServer(await buildPage('test/pages/use-chat'));
    fake = await startFakeLlm({ port: 0 });
    api = await bootTestApp({ ...FAKE_UPSTREAM_ENV, CORS_ORIGINS: portal.origin });
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
  beforeEach(() => fake.reset());

  /** A fresh browser profile (no session kept) with the portal open, talking to `model`. */
  async function openPortal(model: string): Promise<Page> {
    const page = await (await browser.newContext()).newPage();
    await page.addInitScript((config) => Object.assign(globalThis, { portalConfig: config }), { api: api.url, token: user.token, body: { provider: 'openai', model } });
    await page.goto(portal.origin);
    return page;
  }
  const send = async (page: Page, text: string) => {
    await page.getByLabel('message').fill(text);
    await page.getByRole('button', { name: 'Send' }).click();
  };
  const reply = (page: Page) => page.locator('li[data-role="assistant"]').last();
  const keptSessionId = (page: Page) => page.evaluate<string | null>("localStorage.getItem('sessionId')");

  it('shows the reply as it streams, and the reply is recorded in the session', async () => {
    const page = await openPortal('fake:deltas=40,delay=50');
    await send(page, 'Hello from the browser');
    await expect(page.locator('li[data-role="user"]').innerText()).resolves.toBe('Hello from the browser');

    // Part of the reply is on screen before the whole of it: it streams.
    await eventually(async () => expect((await reply(page).innerText()).length).toBeGreaterThan(0));
    const partial = await reply(page).innerText();
    expect(replyText(40).startsWith(partial)).toBe(true);
    expect(partial.length).toBeLessThan(replyText(40).trim().length);
    await page.locator('main[data-status="ready"]').waitFor();
    expect(await reply(page).innerText()).toBe(replyText(40).trim());

    const sessionId = await keptSessionId(page);
    expect(sessionId).toMatch(/^[0-9a-f-]{36}$/);
    const { body } = await api.http().get(`/api/chat/sessions/${sessionId}/messages`).set(user.auth).expect(200);
    expect(body.messages.map((m: { role: string; content: string; status: string }) => [m.role, m.content, m.status])).toEqual([
      ['user', 'Hello from the browser', 'complete'],
      ['assistant', replyText(40), 'complete'],
    ]);
  });

  it('resumes the running reply after a reload mid-reply (resume: true, GET /api/ui/chat/:id/stream)', async () => {
    const page = await openPortal('fake:deltas=50,delay=50');
    await send(page, 'A long one');
    await eventually(async () => expect((await reply(page).innerText()).length).toBeGreaterThan(0));
    const sessionId = await keptSessionId(page);
    expect(sessionId).toMatch(/^[0-9a-f-]{36}$/);

    expect((await reply(page).innerText()).length).toBeLessThan(replyText(50).trim().length);

    const resumes: string[] = [];
    page.on('request', (request) => void (request.method() === 'GET' && request.url().includes('/api/ui/chat/') && resumes.push(request.url())));
    await page.reload();
    await eventually(async () => expect(await reply(page).innerText()).toBe(replyText(50).trim()), 30_000);
    expect(resumes).toEqual([`${api.url}/api/ui/chat/${sessionId}/stream`]);
    // One upstream request, never cut: the reload did not stop the reply.
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]!.closedEarly).toBe(false);
  });
});
