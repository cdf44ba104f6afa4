import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { mkdirSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { registerUser, type TestUser } from './factories/user.factory.js';
import { launchChromium, withBrowser } from './helpers/chromium.js';
import { readStream } from './helpers/sse-client.js';
import { bootTestApp, type TestApp } from './helpers/test-app.js';

withBrowser('Swagger UI in a real browser (e2e)', () => {
  let api: TestApp;
  let browser: Browser;
  let user: TestUser;

  beforeAll(async () => {
    api = await bootTestApp();
    user = await registerUser(api);
    await readStream(`${api.url}/api/chat/stream`, { token: user.token, body: { message: 'Seen through Swagger UI', provider: 'echo' } });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  it('authorizes with a token and executes GET /api/chat/sessions', async () => {
    const page = await browser.newPage();
    await page.goto(`${api.url}/api/docs`);
    await page.locator('.swagger-ui .information-container').waitFor();

    await page.locator('button.authorize').first().click();
    // The dialog has one form per security scheme (bearer, x-api-key): the bearer one takes the access token.
    const bearer = page.locator('.modal-ux form').filter({ hasText: 'bearer (http, Bearer)' });
    await bearer.locator('input[type="text"]').fill(user.token);
    await bearer.locator('button.authorize').click();
    await bearer.locator('button.btn-done').click();

    const operation = page.locator('#operations-sessions-sessions_list');
    await operation.locator('.opblock-summary').click();
    await operation.locator('button.try-out__btn').click();
    await operation.locator('button.execute').click();
    const status = operation.locator('.live-responses-table tr.response .response-col_status').first();
    await status.waitFor();
    expect((await status.innerText()).trim()).toBe('200');
    expect(await operation.locator('.live-responses-table .highlight-code').first().innerText()).toContain('Seen through Swagger UI');

    await status.scrollIntoViewIfNeeded();
    mkdirSync('test/artifacts', { recursive: true });
    await page.screenshot({ path: 'test/artifacts/swagger-ui.png', fullPage: false });
  });

  it('documents the SSE routes as text/event-stream with their events', async () => {
    const document = (await api.http().get('/api/docs-json').expect(200)).body;
    const stream = document.paths['/api/chat/stream'].post;
    expect(Object.keys(stream.responses['200'].content)).toContain('text/event-stream');
    expect(stream.responses['200'].description).toMatch(/event: session.*event: message.*event: done.*event: error/s);
    expect(document.components.securitySchemes.bearer).toEqual(expect.objectContaining({ type: 'http', scheme: 'bearer' }));
  });
});
