import type { TestApp } from '../helpers/test-app.js';
import type { TestUser } from './user.factory.js';

export const FAKE_KEY = 'sk-test-fake-upstream-key-0001';

/** The path each provider kind expects under its base URL on the fake upstream. */
export const FAKE_BASE_PATHS = { openai: '/v1', anthropic: '/v1', gemini: '/v1beta' } as const;

/** Points the user's settings for `provider` at the fake upstream. */
export async function configureFakeProvider(
  api: TestApp,
  user: TestUser,
  provider: 'openai' | 'anthropic' | 'gemini',
  fakeUrl: string,
  extra: { defaultModel?: string; apiKey?: string } = {},
) {
  const response = await api
    .http()
    .put(`/api/providers/${provider}`)
    .set(user.auth)
    .send({ apiKey: extra.apiKey ?? FAKE_KEY, baseUrl: `${fakeUrl}${FAKE_BASE_PATHS[provider]}`, ...(extra.defaultModel && { defaultModel: extra.defaultModel }) });
  if (response.status !== 200) throw new Error(`configuring ${provider} failed: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

/** Environment that lets the server reach the loopback fake upstream (blocked by default as a private address). */
export const FAKE_UPSTREAM_ENV = { UPSTREAM_ALLOW_HTTP: 'true', ALLOWED_UPSTREAM_HOSTS: '127.0.0.1' };

/** An organisation connection (made by `admin`) to the fake upstream for `provider`; its id. */
export async function createFakeConnection(api: TestApp, admin: TestUser, provider: 'openai' | 'anthropic' | 'gemini', fakeUrl: string): Promise<string> {
  const response = await api
    .http()
    .post('/api/admin/connections')
    .set(admin.auth)
    .send({ provider, name: `Team ${provider}`, apiKey: 'sk-org-key-0001', baseUrl: `${fakeUrl}${FAKE_BASE_PATHS[provider]}` });
  if (response.status !== 201) throw new Error(`creating a ${provider} connection failed: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body.id as string;
}
