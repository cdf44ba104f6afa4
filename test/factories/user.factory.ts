import jwt from 'jsonwebtoken';
import { randomUUID } from 'node:crypto';
import { TEST_ENV, type TestApp } from '../helpers/test-app.js';

export interface TestUser {
  id: string;
  email: string;
  password: string;
  token: string;
  /** The refresh token of the registration's sign-in. */
  refreshToken: string;
  auth: { Authorization: string };
}

export function buildRegistration(overrides: Partial<{ email: string; password: string; displayName: string }> = {}) {
  return { email: `user-${randomUUID()}@example.com`, password: 'correct horse battery', ...overrides };
}

/** Registers a fresh user through the real API and returns its tokens. */
export async function registerUser(testApp: TestApp, overrides = {}): Promise<TestUser> {
  const registration = buildRegistration(overrides);
  const response = await testApp.http().post('/api/auth/register').send(registration).expect(201);
  const token = response.body.accessToken as string;
  return {
    id: response.body.user.id,
    email: registration.email,
    password: registration.password,
    token,
    refreshToken: response.body.refreshToken as string,
    auth: { Authorization: `Bearer ${token}` },
  };
}

/** An access token signed exactly as the server signs its own (HS256, the test secret), for any subject. */
export function signAccessToken(sub: string): string {
  return jwt.sign({ sub, email: 'ghost@example.com', ver: 0 }, TEST_ENV.JWT_SECRET, { algorithm: 'HS256', expiresIn: 600 });
}
