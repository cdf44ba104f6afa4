import { describe, expect, it } from '@jest/globals';
import { configureFakeProvider, FAKE_KEY, FAKE_UPSTREAM_ENV } from './factories/provider.factory.js';
import { registerUser } from './factories/user.factory.js';
import { readStream } from './helpers/sse-client.js';
import { bootTestApp } from './helpers/test-app.js';
import { useRestartBench } from './helpers/restart-bench.js';

const OLD_KEY = '11'.repeat(32);
const NEW_KEY = '22'.repeat(32);

describe('encryption key rotation (e2e)', () => {
  const bench = useRestartBench();

  it('keeps stored keys usable across a rotation and re-seals them with the new key on use', async () => {
    const chat = async (env: Record<string, string>, login: { email: string; password: string }) => {
      const api = await bootTestApp({ ...FAKE_UPSTREAM_ENV, ...env }, bench.database);
      try {
        const token = (await api.http().post('/api/auth/login').send({ email: login.email, password: login.password }).expect(200)).body.accessToken as string;
        bench.fake.reset();
        const result = await readStream(`${api.url}/api/chat/stream`, { token, body: { message: 'key?', provider: 'openai', model: 'fake:deltas=2' } });
        return { result, sentKey: bench.fake.requests[0]?.headers.authorization };
      } finally {
        await api.close({ dropDatabase: false });
      }
    };

    const first = await bootTestApp({ ...FAKE_UPSTREAM_ENV, ENCRYPTION_KEY: OLD_KEY, ENCRYPTION_KEY_ID: 'k1' }, bench.database);
    const user = await registerUser(first);
    await configureFakeProvider(first, user, 'openai', bench.fake.url);
    await first.close({ dropDatabase: false });

    // Rotation: the new key is current, the old one is still accepted for reading.
    const rotated = await chat({ ENCRYPTION_KEY: NEW_KEY, ENCRYPTION_KEY_ID: 'k2', ENCRYPTION_PREVIOUS_KEYS: `k1:${OLD_KEY}` }, user);
    expect(rotated.result.events.at(-1)!.event).toBe('done');
    expect(rotated.sentKey).toBe(`Bearer ${FAKE_KEY}`);

    // The old key retired: the credential works only if it was re-sealed with the new one.
    const retired = await chat({ ENCRYPTION_KEY: NEW_KEY, ENCRYPTION_KEY_ID: 'k2' }, user);
    expect(retired.result.events.at(-1)!.event).toBe('done');
    expect(retired.sentKey).toBe(`Bearer ${FAKE_KEY}`);

    // A key sealed with a key that is gone altogether is a clear 400, not a server error.
    const lost = await bootTestApp({ ...FAKE_UPSTREAM_ENV, ENCRYPTION_KEY: '33'.repeat(32), ENCRYPTION_KEY_ID: 'k3' }, bench.database);
    try {
      const token = (await lost.http().post('/api/auth/login').send({ email: user.email, password: user.password }).expect(200)).body.accessToken as string;
      const refused = await readStream(`${lost.url}/api/chat/stream`, { token, body: { message: 'key?', provider: 'openai', model: 'fake:deltas=2' } });
      expect(refused.status).toBe(400);
      expect(refused.body).toEqual(expect.objectContaining({ code: 'CREDENTIAL_UNREADABLE' }));
    } finally {
      await lost.close({ dropDatabase: false });
    }
  }, 180_000); // four server starts in one test: a loaded machine needs more than the default minute
});
