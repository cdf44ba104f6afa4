import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { registerUser, type TestUser } from './factories/user.factory.js';
import { eventually } from './helpers/eventually.js';
import { readStream } from './helpers/sse-client.js';
import { bootTestApp, freePort, type TestApp } from './helpers/test-app.js';

const SECRET = 'sk-live-0123456789abcdefSECRET9876';
/** Any IPv4 address, or anything shaped like an IPv6 one: an error a user sees must name neither. */
const ANY_ADDRESS = /\d+\.\d+\.\d+\.\d+|[0-9a-f]*:[0-9a-f]*:[0-9a-f:]*/i;

describe('provider settings (e2e)', () => {
  let api: TestApp;
  let user: TestUser;

  beforeAll(async () => {
    // `localhost` on every port, 127.0.0.1 on one port only (one nothing listens on): see the closed-port case.
    api = await bootTestApp({ UPSTREAM_ALLOW_HTTP: 'true', ALLOWED_UPSTREAM_HOSTS: `localhost, 127.0.0.1:${await freePort()}` });
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

  it('refuses every special-purpose form with one message that tells nothing of name resolution', async () => {
    const forms = [
      'http://[::ffff:0:a9fe:a9fe]/v1', // IPv4-translated 169.254.169.254
      'http://[::ffff:0:7f00:1]/v1', // IPv4-translated loopback (not the allow-listed 127.0.0.1 itself)
      'http://[64:ff9b:1::7f00:1]/v1', // local-use NAT64
      'http://[64:ff9b::a9fe:a9fe]/v1', // well-known NAT64 of the metadata address
      'http://[2001::1]/v1', // Teredo
      'http://[2002:7f00:1::]/v1', // 6to4 of loopback
      'http://[2002:0808:0808::]/v1', // 6to4 of a public address: refused too
      'http://[::8.8.8.8]/v1', // IPv4-compatible
      'http://[fec0::1]/v1',
      'http://0xa9fea9fe/latest', // 169.254.169.254 in hex (the decimal, octal and short forms the DTO already refuses)
      'http://0xa9.0xfe.0xa9.0xfe/latest',
      'http://0x0a000001/v1', // 10.0.0.1
      'http://[::ffff:a9fe:a9fe]/v1',
      'http://name-that-does-not-resolve.invalid/v1',
    ];
    const answers = new Set<string>();
    for (const baseUrl of forms) {
      const response = await api.http().put('/api/providers/custom').set(user.auth).send({ apiKey: 'sk-x', baseUrl });
      expect([baseUrl, response.status, response.body.code]).toEqual([baseUrl, 400, 'UPSTREAM_URL_REJECTED']);
      expect([baseUrl, response.body.message]).toEqual([baseUrl, expect.not.stringMatching(ANY_ADDRESS)]);
      answers.add(response.body.message);
    }
    expect([...answers]).toEqual([expect.stringMatching(/could not be reached/)]);
  });

  it('answers a closed port with the very error event a refused address gets, and names no address', async () => {
    const closed = await freePort();
    // `localhost` is allow-listed on every port: the connection to 127.0.0.1 is made, and refused.
    await api.http().put('/api/providers/custom').set(user.auth).send({ apiKey: 'sk-x', baseUrl: `http://localhost:${closed}/v1` }).expect(200);
    const refused = await readStream(`${api.url}/api/chat/stream`, { token: user.token, body: { message: 'hi', provider: 'custom', model: 'm' } });
    const refusedError = refused.events.find((event) => event.event === 'error')?.data;

    // 127.0.0.1 is allow-listed on another port only: saving it with this port is refused, and so is connecting to
    // Ollama's default base URL, http://127.0.0.1:11434/v1 (it needs no saved URL, so nothing checked it earlier).
    const save = await api.http().put('/api/providers/custom').set(user.auth).send({ apiKey: 'sk-x', baseUrl: `http://127.0.0.1:${closed}/v1` });
    const saveBlocked = await api.http().put('/api/providers/custom').set(user.auth).send({ apiKey: 'sk-x', baseUrl: 'http://[2001::1]/v1' });
    expect([save.status, save.body.code, save.body.message]).toEqual([400, 'UPSTREAM_URL_REJECTED', saveBlocked.body.message]);
    await api.http().put('/api/providers/ollama').set(user.auth).send({}).expect(200);
    const blocked = await readStream(`${api.url}/api/chat/stream`, { token: user.token, body: { message: 'hi', provider: 'ollama', model: 'm' } });
    const blockedError = blocked.events.find((event) => event.event === 'error')?.data;

    expect(refusedError).toEqual({ error: expect.any(String), code: 'upstream_error', messageId: expect.any(String) });
    expect({ error: blockedError.error, code: blockedError.code }).toEqual({ error: refusedError.error, code: refusedError.code });
    expect(refusedError.error).not.toMatch(ANY_ADDRESS);
    // The detail is for the operator's log, which reaches the test through the server's stdout a moment later.
    await eventually(() => {
      expect(api.output()).toMatch(new RegExp(`Could not reach the provider: .*${closed}`));
      expect(api.output()).toMatch(/Could not reach the provider: 127\.0\.0\.1 port 11434/);
    });
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
