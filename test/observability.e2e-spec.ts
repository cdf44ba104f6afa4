import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import { type FakeLlmServer, startFakeLlm } from '../apps/fake-llm/src/fake-llm.server.js';
import { configureFakeProvider, FAKE_UPSTREAM_ENV } from './factories/provider.factory.js';
import { buildRegistration, registerUser } from './factories/user.factory.js';
import { eventually } from './helpers/eventually.js';
import { readStream } from './helpers/sse-client.js';
import { describeWith, POSTGRES } from './helpers/suite-requirements.js';
import { bootTestApp, type TestApp } from './helpers/test-app.js';

const logLines = (api: TestApp) =>
  api
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, any>);

describe('observability (e2e)', () => {
  let api: TestApp;
  let fake: FakeLlmServer;

  beforeAll(async () => {
    fake = await startFakeLlm({ port: 0 });
    api = await bootTestApp({ ...FAKE_UPSTREAM_ENV, LOG_LEVEL: 'log', DATABASE_LOG_QUERIES: 'true', METRICS_TOKEN: 'scrape-token-123', CORS_ORIGINS: 'https://portal.example.com' });
  });
  afterAll(async () => {
    await api?.close();
    await fake?.close();
  });

  it('echoes a sane X-Request-Id, replaces a bad one, and logs one JSON line per request with it', async () => {
    const user = await registerUser(api);
    const given = await api.http().get('/api/auth/me').set(user.auth).set('X-Request-Id', 'trace-abc.123').expect(200);
    expect(given.headers['x-request-id']).toBe('trace-abc.123');
    const replaced = await api.http().get('/api/auth/me').set(user.auth).set('X-Request-Id', 'bad id\twith junk').expect(200);
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);

    const line = await eventually(() => {
      // The request's own line (statements logged while serving it carry its id too).
      const found = logLines(api).find((entry) => entry.req?.id === 'trace-abc.123' && entry.res);
      expect(found).toBeDefined();
      return found!;
    });
    expect(line).toEqual(expect.objectContaining({ level: 30, userId: user.id, res: { statusCode: 200 }, responseTime: expect.any(Number) }));
    expect(api.output()).not.toContain(user.token);
  });

  it('puts the request id on the lines logged while serving the request', async () => {
    const user = await registerUser(api);
    await api.http().get('/api/auth/me').set(user.auth).set('X-Request-Id', 'trace-in-request.1').expect(200);
    // DATABASE_LOG_QUERIES: the statements run for the request are logged through Nest's logger while it is served.
    const line = await eventually(() => {
      const found = logLines(api).find((entry) => entry.req?.id === 'trace-in-request.1' && entry.context === 'Database');
      expect(found).toBeDefined();
      return found!;
    });
    expect(line.msg).toMatch(/^query: /);
  });

  it('logs a body the parser refuses before routing, with its request id echoed', async () => {
    const refused = await api.http().post('/api/auth/login').set('Content-Type', 'application/json').set('X-Request-Id', 'trace-refused.1').send('{"email":');
    expect([refused.status, refused.headers['x-request-id']]).toEqual([400, 'trace-refused.1']);
    await eventually(() => expect(logLines(api).find((entry) => entry.req?.id === 'trace-refused.1' && entry.res)).toEqual(expect.objectContaining({ level: 40, res: { statusCode: 400 } })));
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

  it('exposes the request id, Server-Timing, rate limits and Retry-After to the allowed origins (read in Chromium in browser-clients.e2e-spec)', async () => {
    const user = await registerUser(api);
    const response = await api.http().get('/api/chat/sessions').set(user.auth).set('Origin', 'https://portal.example.com').expect(200);
    const exposed = response.headers['access-control-expose-headers'].split(',');
    for (const header of ['X-Request-Id', 'Server-Timing', 'Retry-After', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset', 'X-RateLimit-Remaining-stream', 'X-RateLimit-Remaining-login-account']) {
      expect(exposed).toContain(header);
    }
    // Every rate-limit header the response carries is among them.
    const sent = Object.keys(response.headers).filter((name) => name.startsWith('x-ratelimit-'));
    expect(sent.length).toBeGreaterThan(0);
    expect(exposed.map((name: string) => name.toLowerCase())).toEqual(expect.arrayContaining(sent));
  });

  it("tells a stream's client the gateway's own time before the provider is asked (Server-Timing), and a scraper", async () => {
    const user = await registerUser(api);
    await configureFakeProvider(api, user, 'openai', fake.url);
    // The provider takes a second to its first byte: the stream's headers (and the session event) leave before it
    // does, and their time is the gateway's alone.
    const startedAt = performance.now();
    let sessionAfterMs = 0;
    const stream = await readStream(`${api.url}/api/chat/stream`, {
      token: user.token,
      body: { message: 'how long did you take?', provider: 'openai', model: 'fake:deltas=2,first=1000' },
      until: (event) => {
        if (event.event === 'session') sessionAfterMs = performance.now() - startedAt;
        return event.event === 'done';
      },
    });
    expect(stream.events.at(-1)!.event).toBe('done');
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(1000);
    expect(stream.headers.get('server-timing')).toMatch(/^app;dur=\d+\.\d{2}$/);
    const setupMs = Number(stream.headers.get('server-timing')!.slice('app;dur='.length));
    expect(setupMs).toBeGreaterThan(0);
    expect(setupMs).toBeLessThan(Math.min(1000, sessionAfterMs));
    // Not on JSON answers: a sign-in's own time would help a caller time the password check without the network's noise.
    expect((await api.http().get('/api/chat/sessions').set(user.auth).expect(200)).headers['server-timing']).toBeUndefined();
    expect((await api.http().post('/api/auth/login').send({ email: user.email, password: 'not the password' }).expect(401)).headers['server-timing']).toBeUndefined();
    const metrics = await api.http().get('/metrics').set('Authorization', 'Bearer scrape-token-123').expect(200);
    expect(metrics.text).toMatch(/http_stream_setup_seconds_count\{route="\/api\/chat\/stream"\} [1-9]/);
    expect(metrics.text).not.toMatch(/http_stream_setup_seconds_count\{route="\/api\/chat\/sessions"\}/);
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

  it('never logs a credential: password, provider key, personal API key, refresh token, a token in any token-like query parameter, or a sign-on code', async () => {
    const password = `planted-password-${randomBytes(8).toString('hex')}`;
    const user = await registerUser(api, { password });
    const signedIn = (await api.http().post('/api/auth/login').send({ email: user.email, password }).expect(200)).body;
    await api.http().post('/api/auth/login').send({ email: user.email, password: `${password}-wrong` }).expect(401);
    // Refresh tokens: rotated, reused (which ends the sign-in and is audited), logged out, and in a query parameter.
    const rotated = (await api.http().post('/api/auth/refresh').send({ refreshToken: signedIn.refreshToken }).expect(200)).body.refreshToken as string;
    await api.http().post('/api/auth/refresh').send({ refreshToken: signedIn.refreshToken }).expect(401);
    await api.http().post('/api/auth/logout').send({ refreshToken: user.refreshToken }).expect(204);
    await api.http().get(`/api/chat/sessions?refresh_token=${rotated}`).set(user.auth);
    const newPassword = `planted-new-password-${randomBytes(8).toString('hex')}`;
    await api.http().put('/api/auth/password').set(user.auth).send({ currentPassword: `${password}-wrong`, newPassword }).expect(403);
    const changed = (await api.http().put('/api/auth/password').set(user.auth).send({ currentPassword: password, newPassword }).expect(200)).body;
    user.auth = { Authorization: `Bearer ${changed.accessToken}` };
    const leaving = await registerUser(api, { password: `planted-leaving-${randomBytes(8).toString('hex')}` });
    await api.http().delete('/api/auth/me').set(leaving.auth).send({ password: leaving.password }).expect(204);
    const providerKey = `sk-planted-provider-${randomBytes(8).toString('hex')}`;
    await api.http().put('/api/providers/openai').set(user.auth).send({ apiKey: providerKey }).expect(200);
    const apiKey = (await api.http().post('/api/keys').set(user.auth).send({ name: 'planted' }).expect(201)).body.key as string;
    await api.http().get('/v1/models').set('Authorization', `Bearer ${apiKey}`).expect(200);

    // The access token in every query parameter a client or proxy might put one in: any case, repeated, encoded
    // (the route refuses unknown parameters with 400, and that answer is logged too).
    const queries = ['access_token', 'token', 'api_key', 'key', 'ACCESS_TOKEN', 'Api_Key', 'access%5Ftoken', 'ac%63ess_token', 'token[]'];
    for (const name of queries) await api.http().get(`/api/chat/sessions?limit=5&${name}=${user.token}`).set(user.auth);
    await api.http().get(`/api/chat/sessions?token=x&token=${user.token}&key=${user.token}`).set(user.auth);
    // A single sign-on callback's authorization code and state (this server has no single sign-on: 404, logged too).
    const [code, state] = [`planted-code-${randomBytes(8).toString('hex')}`, `planted-state-${randomBytes(8).toString('hex')}`];
    await api.http().get(`/api/auth/oidc/callback?code=${code}&state=${state}`).expect(404);

    await eventually(() => expect(logLines(api).filter((line) => /\[redacted\]/.test(line.req?.url ?? '')).length).toBeGreaterThanOrEqual(queries.length + 2));
    const output = api.output();
    const secrets = [password, newPassword, leaving.password, providerKey, apiKey, user.token, user.token.split('.')[2]!, signedIn.refreshToken, rotated, user.refreshToken, changed.refreshToken, code, state];
    for (const secret of secrets) expect(output).not.toContain(secret);
  });
});

/** A failing statement needs a database the test can make refuse values: the PostgreSQL pass (TEST_DATABASE_URL). */
const onPostgres = describeWith(POSTGRES);

onPostgres('secrets in failed database statements (e2e)', () => {
  let api: TestApp;
  let db: pg.Client;

  beforeAll(async () => {
    api = await bootTestApp({ LOG_LEVEL: 'log' });
    db = new pg.Client({ connectionString: api.db.env.DATABASE_URL });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    await api?.close();
  });

  it('logs a failed statement through the JSON logger without its parameters (hashes, sealed keys, chat text, e-mails)', async () => {
    const user = await registerUser(api);
    const apiKey = (await api.http().post('/api/keys').set(user.auth).send({ name: 'planted' }).expect(201)).body.key as string;
    // Constraints the statements below break, each carrying a secret as a parameter.
    await db.query(`ALTER TABLE users ADD CONSTRAINT planted_users CHECK (display_name <> 'refuse me') NOT VALID`);
    await db.query(`ALTER TABLE provider_credentials ADD CONSTRAINT planted_credentials CHECK (default_model IS DISTINCT FROM 'refuse-me') NOT VALID`);
    await db.query(`ALTER TABLE api_keys ADD CONSTRAINT planted_keys CHECK (last_used_at IS NULL) NOT VALID`);
    await db.query(`ALTER TABLE messages ADD CONSTRAINT planted_messages CHECK (content NOT LIKE '%refuse me%') NOT VALID`);

    const registration = buildRegistration({ displayName: 'refuse me', password: `planted-password-${randomBytes(8).toString('hex')}` });
    const providerKey = `sk-planted-provider-${randomBytes(8).toString('hex')}`;
    const chatText = `refuse me: planted chat text ${randomBytes(8).toString('hex')}`;
    await api.http().post('/api/auth/register').send(registration);
    await api.http().put('/api/providers/openai').set(user.auth).send({ apiKey: providerKey, defaultModel: 'refuse-me' });
    await api.http().get('/v1/models').set('Authorization', `Bearer ${apiKey}`);
    const chat = await readStream(`${api.url}/api/chat/stream`, { token: user.token, body: { message: chatText, provider: 'echo' } });
    expect(chat.events.at(-1)).toEqual(expect.objectContaining({ event: 'error', data: expect.objectContaining({ code: 'persistence_error' }) }));

    const failures = await eventually(() => {
      const lines = logLines(api).filter((line) => /query failed/.test(line.msg ?? ''));
      expect(lines.length).toBeGreaterThanOrEqual(4);
      return lines;
    });
    expect(failures[0]).toEqual(expect.objectContaining({ level: 50, context: 'Database', msg: expect.stringContaining('planted_') }));
    const output = api.output();
    const secrets = [registration.email, registration.password, providerKey, apiKey, createHash('sha256').update(apiKey).digest('hex'), chatText, 'planted chat text'];
    for (const secret of [...secrets, '$argon2', 'PARAMETERS']) expect(output).not.toContain(secret);
  });

  it('answers a request whose audit event the database refuses, and logs the event without a secret', async () => {
    const user = await registerUser(api);
    await db.query(`ALTER TABLE audit_events ADD CONSTRAINT planted_audit CHECK (action NOT LIKE 'provider.%') NOT VALID`);
    const providerKey = `sk-planted-audited-${randomBytes(8).toString('hex')}`;
    await api.http().put('/api/providers/openai').set(user.auth).send({ apiKey: providerKey, defaultModel: 'gpt-4o-mini' }).expect(200);
    await api.http().delete('/api/providers/openai').set(user.auth).expect(200);

    const lost = await eventually(() => {
      const lines = logLines(api).filter((line) => line.msg === 'Could not write an audit event');
      expect(lines).toHaveLength(2);
      return lines;
    });
    expect(lost[0]).toEqual(
      expect.objectContaining({ level: 50, audit: expect.objectContaining({ actor: user.id, action: 'provider.credential_saved', target: 'openai', detail: expect.objectContaining({ keyChanged: true }) }) }),
    );
    expect(api.output()).not.toContain(providerKey);
  });
});
