import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { registerUser } from './factories/user.factory.js';
import { eventually } from './helpers/eventually.js';
import { readStream } from './helpers/sse-client.js';
import { bootTestApp, type TestApp } from './helpers/test-app.js';

const logLines = (api: TestApp) =>
  api
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, any>);

describe('observability (e2e)', () => {
  let api: TestApp;

  beforeAll(async () => {
    api = await bootTestApp({ LOG_LEVEL: 'log', METRICS_TOKEN: 'scrape-token-123', CORS_ORIGINS: 'https://portal.example.com' });
  });
  afterAll(() => api.close());

  it('echoes a sane X-Request-Id, replaces a bad one, and logs one JSON line per request with it', async () => {
    const user = await registerUser(api);
    const given = await api.http().get('/api/auth/me').set(user.auth).set('X-Request-Id', 'trace-abc.123').expect(200);
    expect(given.headers['x-request-id']).toBe('trace-abc.123');
    const replaced = await api.http().get('/api/auth/me').set(user.auth).set('X-Request-Id', 'bad id\twith junk').expect(200);
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);

    const line = await eventually(() => {
      const found = logLines(api).find((entry) => entry.req?.id === 'trace-abc.123');
      expect(found).toBeDefined();
      return found!;
    });
    expect(line).toEqual(expect.objectContaining({ level: 30, userId: user.id, res: { statusCode: 200 }, responseTime: expect.any(Number) }));
    expect(api.output()).not.toContain(user.token);
  });

  it('sends security headers on JSON routes and keeps SSE streaming headers intact', async () => {
    const json = await api.http().get('/api/health').expect(200);
    expect(json.headers['x-content-type-options']).toBe('nosniff');
    expect(json.headers['content-security-policy']).toContain("default-src 'self'");
    expect(json.headers['x-powered-by']).toBeUndefined();
    const user = await registerUser(api);
    const stream = await readStream(`${api.url}/api/chat/stream`, { token: user.token, body: { message: 'headers', provider: 'echo' } });
    expect(stream.headers.get('content-type')).toContain('text/event-stream');
    expect(stream.headers.get('x-accel-buffering')).toBe('no');
    expect(stream.headers.get('x-content-type-options')).toBe('nosniff');
    expect(stream.events.at(-1)!.event).toBe('done');
  });

  it('answers CORS only for the configured origins', async () => {
    const allowed = await api.http().options('/api/chat/sessions').set('Origin', 'https://portal.example.com').set('Access-Control-Request-Method', 'GET');
    expect(allowed.headers['access-control-allow-origin']).toBe('https://portal.example.com');
    const other = await api.http().options('/api/chat/sessions').set('Origin', 'https://evil.example.net').set('Access-Control-Request-Method', 'GET');
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('serves Prometheus metrics to a scraper with the token only', async () => {
    const user = await registerUser(api);
    await readStream(`${api.url}/api/chat/stream`, { token: user.token, body: { message: 'count me', provider: 'echo' } });
    await api.http().get('/metrics').expect(401);
    await api.http().get('/metrics').set('Authorization', 'Bearer wrong').expect(401);
    const metrics = await eventually(async () => {
      const response = await api.http().get('/metrics').set('Authorization', 'Bearer scrape-token-123').expect(200);
      expect(response.text).toMatch(/chat_generations_total\{provider="echo",status="complete"\} [1-9]/);
      return response.text;
    });
    expect(metrics).toMatch(/chat_deltas_relayed_total\{provider="echo",model="echo-1"\} [1-9]/);
    expect(metrics).toMatch(/chat_time_to_first_token_seconds_count\{provider="echo"\} [1-9]/);
    expect(metrics).toMatch(/chat_active_streams 0/);
    expect(metrics).toMatch(/http_request_duration_seconds_count\{method="POST",route="\/api\/chat\/stream",status="200"\} [1-9]/);
    expect(metrics).not.toMatch(/route="\/api\/chat\/sessions\/[0-9a-f]{8}-/);
  });
});

