import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { registerUser, type TestUser } from './factories/user.factory.js';
import { readStream } from './helpers/sse-client.js';
import { bootTestApp, type TestApp } from './helpers/test-app.js';

describe('stream throttling (e2e)', () => {
  let api: TestApp;

  beforeAll(async () => {
    api = await bootTestApp({ THROTTLE_STREAM_LIMIT: '3', LOGIN_LIMIT_PER_ACCOUNT: '3', LOGIN_LIMIT_PER_IP: '6' });
  });
  afterAll(() => api.close());

  it('limits stream starts per user, answers 429 with Retry-After, and leaves other users alone', async () => {
    const alice = await registerUser(api);
    const bob = await registerUser(api);
    const start = (token: string) => readStream(`${api.url}/api/chat/stream`, { token, body: { message: 'hi', provider: 'echo' } });
    for (let i = 0; i < 3; i++) expect((await start(alice.token)).status).toBe(200);
    const limited = await start(alice.token);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.body).toEqual(expect.objectContaining({ statusCode: 429, error: 'Too Many Requests', message: expect.any(String) }));
    // Same IP, different user: not affected.
    expect((await start(bob.token)).status).toBe(200);
    // Other routes are not counted against the stream limit.
    await api.http().get('/api/chat/sessions').set(alice.auth).expect(200);
  });

  it('limits password guessing per account and per client address', async () => {
    const victim = await registerUser(api);
    const other = await registerUser(api);
    const login = (email: string, password = 'wrong password') => api.http().post('/api/auth/login').send({ email, password });
    for (let i = 0; i < 3; i++) expect((await login(victim.email.toUpperCase())).status).toBe(401);
    const locked = await login(victim.email);
    expect(locked.status).toBe(429);
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    expect(locked.body).toEqual(expect.objectContaining({ statusCode: 429, error: 'Too Many Requests' }));
    // Another account from the same address still gets an answer, until the per-address limit (6) is used up.
    expect((await login(other.email, other.password)).status).toBe(200);
    expect((await login(other.email)).status).toBe(401);
    expect((await login(`nobody-${Date.now()}@example.com`)).status).toBe(401);
    expect((await login(`nobody-else-${Date.now()}@example.com`)).status).toBe(429);
  });
});

describe('throttling the other credential routes (e2e)', () => {
  let api: TestApp;

  beforeAll(async () => {
    api = await bootTestApp({ LOGIN_LIMIT_PER_ACCOUNT: '2', LOGIN_LIMIT_PER_IP: '50' });
  });
  afterAll(() => api.close());

  it('limits guessing the current password per signed-in user, not per address', async () => {
    const alice = await registerUser(api);
    const bob = await registerUser(api);
    const change = (user: TestUser) => api.http().put('/api/auth/password').set(user.auth).send({ currentPassword: 'a guess', newPassword: 'a new long password' });
    for (let i = 0; i < 2; i++) expect((await change(alice)).status).toBe(403);
    const locked = await change(alice);
    expect(locked.status).toBe(429);
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    expect((await change(bob)).status).toBe(403);
  });

  it('counts refreshes per token, so users refreshing from one address do not share one bucket', async () => {
    const users = await Promise.all(Array.from({ length: 4 }, () => registerUser(api)));
    for (const user of users) await api.http().post('/api/auth/refresh').send({ refreshToken: user.refreshToken }).expect(200);
  });
});
