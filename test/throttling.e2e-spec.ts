import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { registerUser } from './factories/user.factory.js';
import { readStream } from './helpers/sse-client.js';
import { bootTestApp, type TestApp } from './helpers/test-app.js';

describe('stream throttling (e2e)', () => {
  let api: TestApp;

  beforeAll(async () => {
    api = await bootTestApp({ THROTTLE_STREAM_LIMIT: '3' });
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
});
