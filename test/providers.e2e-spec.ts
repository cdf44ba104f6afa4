import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FAKE_UPSTREAM_ENV } from './factories/provider.factory.js';
import { registerUser, type TestUser } from './factories/user.factory.js';
import { bootTestApp, type TestApp } from './helpers/test-app.js';

const SECRET = 'sk-live-0123456789abcdefSECRET9876';

describe('provider settings (e2e)', () => {
  let api: TestApp;
  let user: TestUser;

  beforeAll(async () => {
    api = await bootTestApp(FAKE_UPSTREAM_ENV);
    user = await registerUser(api);
  });
  afterAll(() => api.close());

  it('lists every provider with its models and whether it is configured', async () => {
    const list = await api.http().get('/api/providers').set(user.auth).expect(200);
    const ids = list.body.providers.map((p: any) => p.id);
    expect(ids).toEqual(expect.arrayContaining(['openai', 'deepseek', 'qwen', 'moonshot', 'zhipu', 'ollama', 'custom', 'anthropic', 'gemini', 'echo']));
    const echo = list.body.providers.find((p: any) => p.id === 'echo');
    expect(echo).toEqual(expect.objectContaining({ requiresKey: false, configured: false }));
    expect(echo.models[0].description).toMatch(/demo|local/i);
  });

  it('stores a key encrypted and only ever shows it masked', async () => {
    const saved = await api.http().put('/api/providers/openai').set(user.auth).send({ apiKey: SECRET, defaultModel: 'gpt-4o-mini' }).expect(200);
    expect(saved.body).toEqual({ provider: 'openai', apiKey: 'sk-…9876', baseUrl: null, defaultModel: 'gpt-4o-mini', updatedAt: expect.any(String) });
    const read = await api.http().get('/api/providers/openai').set(user.auth).expect(200);
    const list = await api.http().get('/api/providers').set(user.auth).expect(200);
    for (const body of [saved.body, read.body, list.body]) expect(JSON.stringify(body)).not.toContain('SECRET');
    expect(list.body.providers.find((p: any) => p.id === 'openai').configured).toBe(true);
    expect(api.output()).not.toContain('SECRET');
  });

  it('keeps the stored key when only the model changes', async () => {
    await api.http().put('/api/providers/deepseek').set(user.auth).send({ apiKey: 'sk-deepseek-key-4321' }).expect(200);
    const updated = await api.http().put('/api/providers/deepseek').set(user.auth).send({ defaultModel: 'deepseek-chat' }).expect(200);
    expect(updated.body).toEqual(expect.objectContaining({ apiKey: 'sk-…4321', defaultModel: 'deepseek-chat' }));
  });

  it('validates provider ids, keys and base URLs', async () => {
    const unknown = await api.http().put('/api/providers/skynet').set(user.auth).send({ apiKey: 'x' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.code).toBe('UNKNOWN_PROVIDER');
    await api.http().get('/api/providers/skynet').set(user.auth).expect(400);
    await api.http().put('/api/providers/anthropic').set(user.auth).send({}).expect(400);
    await api.http().put('/api/providers/custom').set(user.auth).send({ apiKey: 'sk-x' }).expect(400);
    await api.http().put('/api/providers/openai').set(user.auth).send({ apiKey: 'sk-x', baseUrl: 'ftp://example.com' }).expect(400);
    await api.http().put('/api/providers/openai').set(user.auth).send({ apiKey: 'sk-x', baseUrl: 'not a url' }).expect(400);
    await api.http().put('/api/providers/openai').set(user.auth).send({ apiKey: 'has spaces in it' }).expect(400);
  });

  it('refuses base URLs that point at private or metadata addresses', async () => {
    for (const baseUrl of ['http://169.254.169.254/latest', 'http://10.0.0.1/v1', 'http://[::ffff:169.254.169.254]/', 'http://0.0.0.0:8080/v1', 'http://192.168.1.10/v1']) {
      const response = await api.http().put('/api/providers/custom').set(user.auth).send({ apiKey: 'sk-x', baseUrl });
      expect([baseUrl, response.status, response.body.code]).toEqual([baseUrl, 400, 'UPSTREAM_URL_REJECTED']);
    }
  });

  it('deletes settings; a second delete is 404', async () => {
    await api.http().put('/api/providers/moonshot').set(user.auth).send({ apiKey: 'sk-moon-1111' }).expect(200);
    await api.http().delete('/api/providers/moonshot').set(user.auth).expect(200);
    await api.http().get('/api/providers/moonshot').set(user.auth).expect(404);
    await api.http().delete('/api/providers/moonshot').set(user.auth).expect(404);
  });

  it("never shows one user's settings to another", async () => {
    const other = await registerUser(api);
    await api.http().get('/api/providers/openai').set(other.auth).expect(404);
    await api.http().delete('/api/providers/openai').set(other.auth).expect(404);
    const list = await api.http().get('/api/providers').set(other.auth).expect(200);
    expect(list.body.providers.find((p: any) => p.id === 'openai').configured).toBe(false);
    await api.http().get('/api/providers/openai').set(user.auth).expect(200);
  });
});
