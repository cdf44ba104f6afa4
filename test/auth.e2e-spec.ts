import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import jwt from 'jsonwebtoken';
import { buildRegistration, registerUser } from './factories/user.factory.js';
import { bootTestApp, TEST_ENV, type TestApp } from './helpers/test-app.js';

const expectError = (body: Record<string, unknown>, statusCode: number) => {
  expect(body).toEqual(expect.objectContaining({ statusCode, error: expect.any(String), message: expect.any(String) }));
};

describe('auth (e2e)', () => {
  let api: TestApp;

  beforeAll(async () => {
    api = await bootTestApp();
  });
  afterAll(() => api.close());

  it('registers, logs in and reads /me', async () => {
    const registration = buildRegistration({ displayName: 'Ada' });
    const registered = await api.http().post('/api/auth/register').send(registration).expect(201);
    expect(registered.body).toEqual({
      user: { id: expect.any(String), email: registration.email, displayName: 'Ada', role: 'member', createdAt: expect.any(String) },
      accessToken: expect.any(String),
      expiresIn: 900,
      refreshToken: expect.stringMatching(/^rt-chat-[A-Za-z0-9_-]{43}$/),
      refreshExpiresIn: 30 * 86_400,
    });
    expect(JSON.stringify(registered.body)).not.toContain('password');

    const login = await api.http().post('/api/auth/login').send({ email: registration.email, password: registration.password }).expect(200);
    const me = await api.http().get('/api/auth/me').set('Authorization', `Bearer ${login.body.accessToken}`).expect(200);
    expect(me.body.id).toBe(registered.body.user.id);
  });

  it('treats e-mail addresses case-insensitively', async () => {
    const user = await registerUser(api, { email: `Mixed.${Date.now()}@Example.COM` });
    const duplicate = await api.http().post('/api/auth/register').send({ email: user.email.toUpperCase(), password: 'another password' });
    expect(duplicate.status).toBe(409);
    expectError(duplicate.body, 409);
    await api.http().post('/api/auth/login').send({ email: user.email.toUpperCase(), password: user.password }).expect(200);
  });

  it('rejects weak passwords and bad e-mails with 400', async () => {
    const weak = await api.http().post('/api/auth/register').send(buildRegistration({ password: 'short' }));
    expect(weak.status).toBe(400);
    expectError(weak.body, 400);
    expect(weak.body.message).toMatch(/password/);
    const badEmail = await api.http().post('/api/auth/register').send({ email: 'nope', password: 'long enough password' });
    expect(badEmail.status).toBe(400);
    const extra = await api.http().post('/api/auth/register').send({ ...buildRegistration(), isAdmin: true });
    expect(extra.status).toBe(400);
    expect(extra.body.message).toMatch(/isAdmin should not exist/);
  });

  it('answers a wrong password and an unknown e-mail identically', async () => {
    const user = await registerUser(api);
    const wrong = await api.http().post('/api/auth/login').send({ email: user.email, password: 'wrong password' });
    const unknown = await api.http().post('/api/auth/login').send({ email: `nobody-${Date.now()}@example.com`, password: 'wrong password' });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual(unknown.body);
  });

  it('rejects missing, forged, expired and alg=none tokens', async () => {
    const user = await registerUser(api);
    await api.http().get('/api/auth/me').expect(401);
    const forged = jwt.sign({ sub: user.id, email: user.email }, 'another-secret-that-is-also-long-enough!!');
    await api.http().get('/api/auth/me').set('Authorization', `Bearer ${forged}`).expect(401);
    const expired = jwt.sign({ sub: user.id, email: user.email, exp: Math.floor(Date.now() / 1000) - 10 }, TEST_ENV.JWT_SECRET);
    await api.http().get('/api/auth/me').set('Authorization', `Bearer ${expired}`).expect(401);
    const none = jwt.sign({ sub: user.id, email: user.email }, '', { algorithm: 'none' });
    await api.http().get('/api/auth/me').set('Authorization', `Bearer ${none}`).expect(401);
    const hs512 = jwt.sign({ sub: user.id, email: user.email }, TEST_ENV.JWT_SECRET, { algorithm: 'HS512' });
    await api.http().get('/api/auth/me').set('Authorization', `Bearer ${hs512}`).expect(401);
    const response = await api.http().get('/api/auth/me').set('Authorization', 'Bearer not-a-token');
    expect(response.status).toBe(401);
    expectError(response.body, 401);
  });

  it('refuses tokens that never expire, and a token it accepted before once it has expired', async () => {
    const user = await registerUser(api);
    const forever = jwt.sign({ sub: user.id, email: user.email }, TEST_ENV.JWT_SECRET, { noTimestamp: true });
    await api.http().get('/api/auth/me').set('Authorization', `Bearer ${forever}`).expect(401);

    // Verified tokens are remembered: the second request must still check the expiry.
    const expiresAt = Math.floor(Date.now() / 1000) + 2;
    const shortLived = jwt.sign({ sub: user.id, email: user.email, ver: 0, exp: expiresAt }, TEST_ENV.JWT_SECRET);
    await api.http().get('/api/auth/me').set('Authorization', `Bearer ${shortLived}`).expect(200);
    await new Promise((resolve) => setTimeout(resolve, expiresAt * 1000 - Date.now() + 50));
    await api.http().get('/api/auth/me').set('Authorization', `Bearer ${shortLived}`).expect(401);
  });

  it('answers malformed JSON with 400 and oversized bodies with 413', async () => {
    const malformed = await api.http().post('/api/auth/login').set('Content-Type', 'application/json').send('{"email":');
    expect(malformed.status).toBe(400);
    expectError(malformed.body, 400);
    const huge = await api.http().post('/api/auth/login').set('Content-Type', 'application/json').send(JSON.stringify({ email: 'a'.repeat(1_100_000), password: 'x' }));
    expect(huge.status).toBe(413);
    expectError(huge.body, 413);
  });

  it('answers the single sign-on routes with a JSON 404 while it is not configured', async () => {
    for (const request of [api.http().get('/api/auth/oidc/login'), api.http().get('/api/auth/oidc/callback?code=a&state=b'), api.http().post('/api/auth/oidc/exchange').send({ code: 'a' })]) {
      const response = await request;
      expect([response.status, response.body.code, response.headers.location]).toEqual([404, 'SSO_NOT_CONFIGURED', undefined]);
      expectError(response.body, 404);
    }
  });

  it('answers unknown routes with a JSON 404', async () => {
    const response = await api.http().get('/api/does-not-exist');
    expect(response.status).toBe(404);
    expectError(response.body, 404);
  });
});
