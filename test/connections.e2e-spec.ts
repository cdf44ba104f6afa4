import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FakeLlmServer, replyText, startFakeLlm } from '../apps/fake-llm/src/fake-llm.server.js';
import { bootWithAdmin } from './factories/admin.factory.js';
import { FAKE_BASE_PATHS, FAKE_UPSTREAM_ENV } from './factories/provider.factory.js';
import { registerUser, type TestUser } from './factories/user.factory.js';
import { eventually } from './helpers/eventually.js';
import { readStream } from './helpers/sse-client.js';
import { describeWith, POSTGRES, REDIS } from './helpers/suite-requirements.js';
import { bootTestApp, type TestApp } from './helpers/test-app.js';

const ORG_KEY = 'sk-org-connection-key-ORG1';
const OWN_KEY = 'sk-own-member-key-OWN2';
const FILE_KEY = 'sk-ant-from-environment-FILE3';
const FILE_ID = 'gitops-anthropic';

/** The key the fake received on its latest request, in whichever header its provider uses. */
const lastKey = (fake: FakeLlmServer) => {
  const headers = fake.requests.at(-1)!.headers;
  return headers['x-api-key'] ?? headers.authorization?.replace(/^Bearer /, '');
};

/** One non-streaming turn through /v1 (the collected reply), for the caller. */
const complete = (api: TestApp, user: TestUser, model: string) =>
  api.http().post('/v1/chat/completions').set(user.auth).send({ model, messages: [{ role: 'user', content: 'hello' }] });

function connectionsFile(dir: string, body: string): string {
  const path = join(dir, `connections-${randomBytes(4).toString('hex')}.yaml`);
  writeFileSync(path, body);
  return path;
}

describe('organisation connections (e2e)', () => {
  let fake: FakeLlmServer;
  let api: TestApp;
  let admin: TestUser;
  let member: TestUser;
  let dir: string;
  let env: Record<string, string>;

  const openaiConnection = () => ({ provider: 'openai', name: 'Team OpenAI', apiKey: ORG_KEY, baseUrl: `${fake.url}${FAKE_BASE_PATHS.openai}` });

  beforeAll(async () => {
    fake = await startFakeLlm({ port: 0 });
    dir = mkdtempSync(join(tmpdir(), 'connections-'));
    const file = connectionsFile(
      dir,
      `connections:
  - id: ${FILE_ID}
    provider: anthropic
    name: Anthropic from git
    apiKey: \${FILE_ANTHROPIC_KEY}
    baseUrl: ${fake.url}${FAKE_BASE_PATHS.anthropic}
`,
    );
    env = { ...FAKE_UPSTREAM_ENV, CONNECTIONS_FILE: file, FILE_ANTHROPIC_KEY: FILE_KEY };
    ({ api, admin } = await bootWithAdmin(env));
    member = await registerUser(api);
  });
  afterAll(async () => {
    await api?.close();
    await fake?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lets an admin create, read, change and delete connections; the key is only ever shown masked, and every change is audited without it', async () => {
    const created = await api.http().post('/api/admin/connections').set(admin.auth).send({ ...openaiConnection(), models: ['gpt-4o'], enabled: false }).expect(201);
    expect(created.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      provider: 'openai',
      name: 'Team OpenAI',
      apiKey: 'sk-…ORG1',
      baseUrl: `${fake.url}/v1`,
      models: ['gpt-4o'],
      enabled: false,
      managedBy: 'api',
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    const { id } = created.body;
    const changed = await api.http().patch(`/api/admin/connections/${id}`).set(admin.auth).send({ name: 'Renamed', models: null }).expect(200);
    expect(changed.body).toEqual(expect.objectContaining({ name: 'Renamed', models: [], apiKey: 'sk-…ORG1', enabled: false }));
    const read = await api.http().get(`/api/admin/connections/${id}`).set(admin.auth).expect(200);
    const list = await api.http().get('/api/admin/connections').set(admin.auth).expect(200);
    expect(list.body.connections.map((connection: { id: string }) => connection.id)).toEqual(expect.arrayContaining([id, FILE_ID]));
    await api.http().delete(`/api/admin/connections/${id}`).set(admin.auth).expect(200, { id, deleted: true });
    await api.http().get(`/api/admin/connections/${id}`).set(admin.auth).expect(404);
    await api.http().delete(`/api/admin/connections/${id}`).set(admin.auth).expect(404);

    const audit = await api.http().get('/api/admin/audit?action=connection.updated').set(admin.auth).expect(200);
    expect(audit.body.events[0]).toEqual(expect.objectContaining({ actor: admin.id, target: id, detail: expect.objectContaining({ keyChanged: false, name: 'Renamed' }) }));
    const all = await api.http().get('/api/admin/audit').set(admin.auth).expect(200);
    expect(all.body.events.map((event: { action: string }) => event.action)).toEqual(expect.arrayContaining(['connection.created', 'connection.updated', 'connection.deleted']));
    for (const body of [created.body, changed.body, read.body, list.body, all.body]) expect(JSON.stringify(body)).not.toMatch(/ORG_KEY|org-connection-key|from-environment/);
    expect(api.output()).not.toMatch(/org-connection-key|from-environment/);
  });

  it('refuses members (403) and bad input (400) with clear codes', async () => {
    await api.http().get('/api/admin/connections').set(member.auth).expect(403);
    await api.http().post('/api/admin/connections').set(member.auth).send(openaiConnection()).expect(403);
    // Refused by the body's rules (no code), or by the provider's needs and the address rules (a code).
    const bad = async (body: object, code?: string) => {
      const response = await api.http().post('/api/admin/connections').set(admin.auth).send(body);
      expect([body, response.status, response.body.code]).toEqual([body, 400, code]);
      expect(response.body).toEqual(expect.objectContaining({ statusCode: 400, error: 'Bad Request', message: expect.anything() }));
    };
    await bad({ ...openaiConnection(), provider: 'skynet' });
    await bad({ ...openaiConnection(), name: 'x'.repeat(101) });
    await bad({ ...openaiConnection(), name: '   ' });
    await bad({ ...openaiConnection(), models: Array.from({ length: 101 }, (_, i) => `m${i}`) });
    await bad({ ...openaiConnection(), models: ['x'.repeat(201)] });
    await bad({ ...openaiConnection(), apiKey: 'has spaces in it' });
    await bad({ ...openaiConnection(), enabled: 'yes' });
    await bad({ provider: 'openai', name: 'no key' }, 'VALIDATION_FAILED');
    await bad({ provider: 'custom', name: 'no base URL', apiKey: ORG_KEY }, 'VALIDATION_FAILED');
    await bad({ ...openaiConnection(), baseUrl: 'http://10.0.0.1/v1' }, 'UPSTREAM_URL_REJECTED');
    await bad({ ...openaiConnection(), baseUrl: 'http://169.254.169.254/latest' }, 'UPSTREAM_URL_REJECTED');
    const malformed = await api.http().get('/api/admin/connections/..%2F..').set(admin.auth);
    expect(malformed.status).toBe(400);
  });

  it("serves a member without a key of their own through the organisation's connection, and says so in GET /api/providers", async () => {
    const before = await complete(api, member, 'openai/fake:deltas=2');
    expect([before.status, before.body.error?.code]).toEqual([400, 'provider_not_configured']);
    const { id } = (await api.http().post('/api/admin/connections').set(admin.auth).send(openaiConnection()).expect(201)).body;

    fake.reset();
    const stream = await readStream(`${api.url}/api/chat/stream`, { token: member.token, body: { message: 'hi', provider: 'openai', model: 'fake:deltas=3' } });
    expect(stream.text).toBe(replyText(3));
    expect(lastKey(fake)).toBe(ORG_KEY);
    const providers = (await api.http().get('/api/providers').set(member.auth).expect(200)).body.providers as { id: string; configured: boolean; available: boolean; via: string | null }[];
    const summary = (provider: string) => providers.find((entry) => entry.id === provider);
    expect(summary('openai')).toEqual(expect.objectContaining({ configured: false, available: true, via: 'organisation' }));
    expect(summary('anthropic')).toEqual(expect.objectContaining({ available: true, via: 'organisation' }));
    expect(summary('echo')).toEqual(expect.objectContaining({ available: true, via: 'keyless' }));
    expect(summary('gemini')).toEqual(expect.objectContaining({ available: false, via: null }));
    expect(JSON.stringify(providers)).not.toContain('ORG1');
    const models = (await api.http().get('/v1/models').set(member.auth).expect(200)).body.data.map((model: { id: string }) => model.id);
    expect(models).toEqual(expect.arrayContaining(['openai/gpt-4o-mini', 'echo/echo-1']));

    // The member's own key wins while ALLOW_USER_KEYS allows it.
    await api.http().put('/api/providers/openai').set(member.auth).send({ apiKey: OWN_KEY, baseUrl: `${fake.url}/v1` }).expect(200);
    await complete(api, member, 'openai/fake:deltas=2').expect(200);
    expect(lastKey(fake)).toBe(OWN_KEY);
    expect((await api.http().get('/api/providers').set(member.auth).expect(200)).body.providers.find((entry: { id: string }) => entry.id === 'openai')).toEqual(
      expect.objectContaining({ configured: true, available: true, via: 'own_key' }),
    );
    await api.http().delete('/api/providers/openai').set(member.auth).expect(200);
    await complete(api, member, 'openai/fake:deltas=2').expect(200);
    expect(lastKey(fake)).toBe(ORG_KEY);

    // Disabled: not used; a model list: only for those models.
    await api.http().patch(`/api/admin/connections/${id}`).set(admin.auth).send({ enabled: false }).expect(200);
    expect((await complete(api, member, 'openai/fake:deltas=2')).body.error?.code).toBe('provider_not_configured');
    await api.http().patch(`/api/admin/connections/${id}`).set(admin.auth).send({ enabled: true, models: ['fake:deltas=1'] }).expect(200);
    expect((await complete(api, member, 'openai/fake:deltas=2')).body.error?.code).toBe('provider_not_configured');
    await complete(api, member, 'openai/fake:deltas=1').expect(200);
    expect(lastKey(fake)).toBe(ORG_KEY);
    await api.http().delete(`/api/admin/connections/${id}`).set(admin.auth).expect(200);
  });

  it("takes CONNECTIONS_FILE's connections, keys from the environment, read-only through the API", async () => {
    const listed = (await api.http().get(`/api/admin/connections/${FILE_ID}`).set(admin.auth).expect(200)).body;
    expect(listed).toEqual(expect.objectContaining({ id: FILE_ID, provider: 'anthropic', name: 'Anthropic from git', apiKey: 'sk-…ILE3', managedBy: 'file', enabled: true }));
    for (const response of [
      await api.http().patch(`/api/admin/connections/${FILE_ID}`).set(admin.auth).send({ enabled: false }),
      await api.http().delete(`/api/admin/connections/${FILE_ID}`).set(admin.auth),
    ]) {
      expect([response.status, response.body.code]).toEqual([409, 'CONNECTION_READ_ONLY']);
    }
    await complete(api, member, 'anthropic/fake:deltas=2').expect(200);
    expect(lastKey(fake)).toBe(FILE_KEY);
    expect(api.output()).not.toContain(FILE_KEY);
  });

  it('lets the file win over the database for the ids it names, and stops start-up naming a missing variable', async () => {
    const { id } = (await api.http().post('/api/admin/connections').set(admin.auth).send({ ...openaiConnection(), name: 'made by hand' }).expect(201)).body;
    await api.close({ dropDatabase: false });
    const file = connectionsFile(
      dir,
      JSON.stringify({ connections: [{ id, provider: 'openai', name: 'taken over by git', apiKey: '${FILE_OPENAI_KEY}', baseUrl: `${fake.url}/v1` }] }),
    );
    await expect(bootTestApp({ ...env, CONNECTIONS_FILE: file }, api.db)).rejects.toThrow(/CONNECTIONS_FILE.*\$\{FILE_OPENAI_KEY\}, which is not set/);
    api = await bootTestApp({ ...env, CONNECTIONS_FILE: file, FILE_OPENAI_KEY: 'sk-git-openai-key-GIT4' }, api.db);
    const connections = (await api.http().get('/api/admin/connections').set(admin.auth).expect(200)).body.connections;
    // The earlier file's connection is gone with it; the one it names now is the file's.
    expect(connections.map((connection: { id: string }) => connection.id)).not.toContain(FILE_ID);
    expect(connections.find((connection: { id: string }) => connection.id === id)).toEqual(
      expect.objectContaining({ name: 'taken over by git', apiKey: 'sk-…GIT4', managedBy: 'file' }),
    );
    await complete(api, member, 'openai/fake:deltas=2').expect(200);
    expect(lastKey(fake)).toBe('sk-git-openai-key-GIT4');
  });

  it("ALLOW_USER_KEYS=false: saving one's own settings is refused, and turns use the organisation's key even for a member who has one", async () => {
    await api.http().put('/api/providers/openai').set(member.auth).send({ apiKey: OWN_KEY, baseUrl: `${fake.url}/v1` }).expect(200);
    await api.close({ dropDatabase: false });
    api = await bootTestApp({ ...env, CONNECTIONS_FILE: '', ALLOW_USER_KEYS: 'false' }, api.db);
    const refused = await api.http().put('/api/providers/openai').set(member.auth).send({ apiKey: OWN_KEY });
    expect([refused.status, refused.body.code]).toEqual([403, 'USER_KEYS_DISABLED']);
    // Without a file, its connections are gone: an organisation connection made here is the only way in.
    expect((await complete(api, member, 'openai/fake:deltas=2')).body.error?.code).toBe('provider_not_configured');
    await api.http().post('/api/admin/connections').set(admin.auth).send(openaiConnection()).expect(201);
    await complete(api, member, 'openai/fake:deltas=2').expect(200);
    expect(lastKey(fake)).toBe(ORG_KEY);
    const openai = (await api.http().get('/api/providers').set(member.auth).expect(200)).body.providers.find((entry: { id: string }) => entry.id === 'openai');
    expect(openai).toEqual(expect.objectContaining({ configured: true, available: true, via: 'organisation' }));
  });
});

describeWith(POSTGRES, REDIS)('organisation connections on two replicas (e2e)', () => {
  let fake: FakeLlmServer;
  let a: TestApp;
  let b: TestApp;
  let admin: TestUser;

  beforeAll(async () => {
    fake = await startFakeLlm({ port: 0 });
    // A prefix of this run's own: the announcements of other suites sharing the Redis never reach these replicas.
    const env = { ...FAKE_UPSTREAM_ENV, REDIS_URL: process.env.TEST_REDIS_URL!, REDIS_KEY_PREFIX: `connections-${randomBytes(4).toString('hex')}:` };
    ({ api: a, admin } = await bootWithAdmin(env));
    b = await bootTestApp(env, a.db);
  });
  afterAll(async () => {
    await b?.close({ dropDatabase: false });
    await a?.close();
    await fake?.close();
  });

  it('a connection created or disabled on A is seen by B at once, not when its cache lapses (60 s)', async () => {
    const member = await registerUser(b);
    // B has read the (empty) list of connections and remembers it.
    expect((await complete(b, member, 'openai/fake:deltas=1')).body.error?.code).toBe('provider_not_configured');
    const body = { provider: 'openai', name: 'shared', apiKey: ORG_KEY, baseUrl: `${fake.url}/v1` };
    const { id } = (await a.http().post('/api/admin/connections').set(admin.auth).send(body).expect(201)).body;
    await eventually(async () => expect((await complete(b, member, 'openai/fake:deltas=1')).status).toBe(200), 3_000);
    expect(lastKey(fake)).toBe(ORG_KEY);
    await a.http().patch(`/api/admin/connections/${id}`).set(admin.auth).send({ enabled: false }).expect(200);
    await eventually(async () => expect((await complete(b, member, 'openai/fake:deltas=1')).body.error?.code).toBe('provider_not_configured'), 3_000);
  });
});
