import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FakeLlmServer, startFakeLlm } from '../apps/fake-llm/src/fake-llm.server.js';
import { configureFakeProvider, FAKE_UPSTREAM_ENV } from './factories/provider.factory.js';
import { registerUser, type TestUser } from './factories/user.factory.js';
import { DISGUISED, GIF, JPEG, PDF, PNG, WEBP } from './helpers/file-samples.js';
import { readStream } from './helpers/sse-client.js';
import { bootTestApp, type TestApp } from './helpers/test-app.js';

/** Small, so the oversized upload is quick to send. */
const MAX_BYTES = 64 * 1024;
const FILES_ENV = { ...FAKE_UPSTREAM_ENV, FILES_MAX_BYTES: '64kb' };
const OVERSIZED = Buffer.concat([PNG, Buffer.alloc(MAX_BYTES + 1)]);

const upload = (api: TestApp, user: TestUser, bytes: Buffer, filename = 'upload.bin', contentType = 'application/octet-stream') =>
  api.http().post('/api/files').set(user.auth).attach('file', bytes, { filename, contentType });

const uploadId = async (api: TestApp, user: TestUser, bytes: Buffer, filename?: string): Promise<string> => {
  const response = await upload(api, user, bytes, filename);
  if (response.status !== 201) throw new Error(`upload failed: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body.id as string;
};

const fileIds = async (api: TestApp, user: TestUser): Promise<string[]> =>
  (await api.http().get('/api/files?limit=100').set(user.auth).expect(200)).body.files.map((file: { id: string }) => file.id);

describe('files: uploads, downloads and attachments, stored in the database (e2e)', () => {
  let api: TestApp;
  let fake: FakeLlmServer;
  let alice: TestUser;
  let bob: TestUser;
  const stream = (user: TestUser, body: Record<string, unknown>) => readStream(`${api.url}/api/chat/stream`, { token: user.token, body });

  beforeAll(async () => {
    fake = await startFakeLlm({ port: 0 });
    api = await bootTestApp(FILES_ENV);
    [alice, bob] = await Promise.all([registerUser(api), registerUser(api)]);
    for (const provider of ['openai', 'anthropic', 'gemini'] as const) await configureFakeProvider(api, alice, provider, fake.url);
  });
  afterAll(async () => {
    await api?.close();
    await fake?.close();
  });
  beforeEach(() => fake.reset());

  it.each([
    ['PNG', PNG, 'image/png'],
    ['JPEG', JPEG, 'image/jpeg'],
    ['WebP', WEBP, 'image/webp'],
    ['GIF', GIF, 'image/gif'],
    ['PDF', PDF, 'application/pdf'],
  ] as const)('takes a %s, typed from its bytes whatever was declared, and gives it back to its owner as a download', async (_name, bytes, mediaType) => {
    const created = await upload(api, alice, bytes, 'picture.txt', 'text/plain').expect(201);
    expect(created.body).toEqual({
      id: expect.any(String),
      mediaType,
      size: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      filename: 'picture.txt',
      sessionId: null,
      createdAt: expect.any(String),
    });
    const download = await api.http().get(`/api/files/${created.body.id}`).set(alice.auth).buffer(true).parse((response, done) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => done(null, Buffer.concat(chunks)));
    });
    expect(download.status).toBe(200);
    expect(Buffer.compare(download.body as Buffer, bytes)).toBe(0);
    expect(download.headers['content-type']).toBe(mediaType);
    expect(download.headers['content-disposition']).toMatch(/^attachment; filename="?picture\.txt"?$/);
    expect(download.headers['x-content-type-options']).toBe('nosniff');
    expect((await api.http().get(`/api/files/${created.body.id}/meta`).set(alice.auth).expect(200)).body).toEqual(created.body);
  });

  it('refuses a file whose bytes are not an allowed type, whatever it claims, and stores nothing', async () => {
    const before = await fileIds(api, alice);
    const refused = await upload(api, alice, DISGUISED, 'cat.png', 'image/png');
    expect([refused.status, refused.body.code]).toEqual([415, 'FILE_TYPE_NOT_ALLOWED']);
    expect(await fileIds(api, alice)).toEqual(before);
  });

  it('refuses a file over FILES_MAX_BYTES with 413 in the JSON error shape, and stores nothing', async () => {
    const before = await fileIds(api, alice);
    const refused = await upload(api, alice, OVERSIZED, 'big.png', 'image/png');
    expect(refused.status).toBe(413);
    expect(refused.body).toEqual(expect.objectContaining({ statusCode: 413, error: 'Payload Too Large', message: expect.any(String) }));
    expect(await fileIds(api, alice)).toEqual(before);
  });

  it('answers an upload without a file, or a malformed multipart body, with 400', async () => {
    const none = await api.http().post('/api/files').set(alice.auth).send({ file: 'not a file' });
    expect([none.status, none.body.code]).toEqual([400, 'FILE_REQUIRED']);
    const fieldOnly = await api.http().post('/api/files').set(alice.auth).field('note', 'no file here');
    expect([fieldOnly.status, fieldOnly.body.code]).toEqual([400, 'FILE_REQUIRED']);
    const otherField = await api.http().post('/api/files').set(alice.auth).attach('picture', PNG, 'a.png');
    expect(otherField.status).toBe(400);
    const truncated = await api
      .http()
      .post('/api/files')
      .set(alice.auth)
      .set('Content-Type', 'multipart/form-data; boundary=xyz')
      .send('--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\n\x89PNG');
    expect(truncated.status).toBe(400);
    expect(truncated.body).toEqual(expect.objectContaining({ statusCode: 400, message: expect.any(String) }));
  });

  it('keeps only a safe label of the name sent: no path, no control or invisible format characters, at most 255 characters', async () => {
    const id = await uploadId(api, alice, PNG, '../../etc/pass\u200bwd.png');
    const meta = (await api.http().get(`/api/files/${id}/meta`).set(alice.auth).expect(200)).body;
    expect(meta.filename).toBe('passwd.png');
    const long = await uploadId(api, alice, PNG, `${'x'.repeat(600)}.png`);
    expect((await api.http().get(`/api/files/${long}/meta`).set(alice.auth).expect(200)).body.filename).toHaveLength(255);
  });

  it("answers 404 to another user for a file, leaves it alone, and lets its owner delete it", async () => {
    const id = await uploadId(api, alice, PNG);
    for (const path of [`/api/files/${id}`, `/api/files/${id}/meta`]) await api.http().get(path).set(bob.auth).expect(404);
    await api.http().delete(`/api/files/${id}`).set(bob.auth).expect(404);
    expect(await fileIds(api, bob)).toEqual([]);
    await api.http().get(`/api/files/${id}/meta`).set(alice.auth).expect(200);
    expect((await api.http().delete(`/api/files/${id}`).set(alice.auth).expect(200)).body).toEqual({ id, deleted: true });
    await api.http().get(`/api/files/${id}`).set(alice.auth).expect(404);
  });

  it('pages the list, newest first, within a bounded page size', async () => {
    await uploadId(api, bob, PNG, 'one.png');
    await uploadId(api, bob, GIF, 'two.gif');
    const first = await api.http().get('/api/files?limit=1').set(bob.auth).expect(200);
    expect(first.body.files.map((file: { filename: string }) => file.filename)).toEqual(['two.gif']);
    const second = await api.http().get(`/api/files?limit=1&cursor=${first.body.nextCursor}`).set(bob.auth).expect(200);
    expect(second.body.files.map((file: { filename: string }) => file.filename)).toEqual(['one.png']);
    await api.http().get('/api/files?limit=1000').set(bob.auth).expect(400);
  });

  it.each([
    ['openai', [{ kind: 'image_url', mediaType: 'image/png', bytes: PNG.length }, { kind: 'file', mediaType: 'application/pdf', bytes: PDF.length }]],
    ['anthropic', [{ kind: 'image', mediaType: 'image/png', bytes: PNG.length }, { kind: 'document', mediaType: 'application/pdf', bytes: PDF.length }]],
    ['gemini', [{ kind: 'inlineData', mediaType: 'image/png', bytes: PNG.length }, { kind: 'inlineData', mediaType: 'application/pdf', bytes: PDF.length }]],
  ] as const)('sends attached files to %s in its own wire format, saves them as file parts, and again with the next turn', async (provider, expected) => {
    const png = await uploadId(api, alice, PNG, 'chart.png');
    const pdf = await uploadId(api, alice, PDF, 'report.pdf');
    const first = await stream(alice, { message: 'What do these show?', provider, model: 'fake:deltas=2', attachments: [png, pdf] });
    expect(first.events.at(-1)!.event).toBe('done');
    expect(fake.requests.at(-1)!.attachments).toEqual(expected);

    const sessionId = first.events[0]!.data.sessionId as string;
    const [question] = (await api.http().get(`/api/chat/sessions/${sessionId}/messages`).set(alice.auth).expect(200)).body.messages;
    expect(question.parts).toEqual([
      { type: 'text', text: 'What do these show?' },
      { type: 'file', fileId: png, mediaType: 'image/png', filename: 'chart.png' },
      { type: 'file', fileId: pdf, mediaType: 'application/pdf', filename: 'report.pdf' },
    ]);
    expect((await api.http().get(`/api/files/${png}/meta`).set(alice.auth).expect(200)).body.sessionId).toBe(sessionId);

    const next = await stream(alice, { message: 'And the second page?', sessionId, model: 'fake:deltas=2' });
    expect(next.events.at(-1)!.event).toBe('done');
    expect(fake.requests.at(-1)!.attachments).toEqual(expected);
  });

  it('refuses, before any event, a model that does not read files, files that are not yours, and too many', async () => {
    const png = await uploadId(api, alice, PNG);
    const sessionsBefore = (await api.http().get('/api/chat/sessions').set(alice.auth).expect(200)).body.sessions.length;
    const textOnly = await stream(alice, { message: 'Look', provider: 'echo', attachments: [png] });
    expect([textOnly.status, textOnly.body?.code]).toEqual([400, 'ATTACHMENTS_NOT_SUPPORTED']);
    const foreign = await stream(bob, { message: 'Look', provider: 'echo', attachments: [png] });
    expect([foreign.status, foreign.body?.code]).toEqual([404, 'FILE_NOT_FOUND']);
    const tooMany = await stream(alice, { message: 'Look', provider: 'openai', model: 'fake:deltas=1', attachments: Array.from({ length: 11 }, () => crypto.randomUUID()) });
    expect(tooMany.status).toBe(400);
    const notIds = await stream(alice, { message: 'Look', provider: 'openai', model: 'fake:deltas=1', attachments: ['../etc/passwd'] });
    expect(notIds.status).toBe(400);
    expect(fake.requests).toHaveLength(0);
    expect((await api.http().get('/api/chat/sessions').set(alice.auth).expect(200)).body.sessions).toHaveLength(sessionsBefore);
  });

  it('deletes a session’s files with the session', async () => {
    const png = await uploadId(api, alice, PNG);
    const result = await stream(alice, { message: 'Keep this', provider: 'openai', model: 'fake:deltas=1', attachments: [png] });
    const sessionId = result.events[0]!.data.sessionId as string;
    // Owned by that session now: another session cannot take it.
    const elsewhere = await stream(alice, { message: 'Again', provider: 'openai', model: 'fake:deltas=1', attachments: [png] });
    expect([elsewhere.status, elsewhere.body?.code]).toEqual([409, 'FILE_ATTACHED_ELSEWHERE']);
    await api.http().delete(`/api/chat/sessions/${sessionId}`).set(alice.auth).expect((response) => expect(response.status).toBeLessThan(300));
    await api.http().get(`/api/files/${png}/meta`).set(alice.auth).expect(404);
  });

  it('/v1/chat/completions takes images as base64 data URLs, typed from their bytes; a remote URL is refused, never fetched', async () => {
    const content = (url: string) => [
      { type: 'text', text: 'What is this?' },
      { type: 'image_url', image_url: { url } },
    ];
    const ask = (url: string) => api.http().post('/v1/chat/completions').set(alice.auth).send({ model: 'openai/fake:deltas=2', messages: [{ role: 'user', content: content(url) }] });

    const answered = await ask(`data:image/jpeg;base64,${PNG.toString('base64')}`).expect(200);
    expect(answered.body.choices[0].message.content).toBeTruthy();
    expect(fake.requests.at(-1)!.attachments).toEqual([{ kind: 'image_url', mediaType: 'image/png', bytes: PNG.length }]);

    const requestsBefore = fake.requests.length;
    for (const [url, status] of [
      ['https://example.com/cat.png', 400],
      ['http://127.0.0.1:1/cat.png', 400],
      ['data:image/png;base64,not base64!', 400],
      [`data:image/png;base64,${DISGUISED.toString('base64')}`, 415],
      [`data:application/pdf;base64,${PDF.toString('base64')}`, 415],
    ] as const) {
      const refused = await ask(url);
      expect([url, refused.status, refused.body.error?.message]).toEqual([url, status, expect.any(String)]);
    }
    const tooBig = await api
      .http()
      .post('/v1/chat/completions')
      .set(alice.auth)
      .send({ model: 'openai/fake:deltas=2', messages: [{ role: 'user', content: content(`data:image/png;base64,${OVERSIZED.toString('base64')}`) }] });
    expect(tooBig.status).toBe(413);
    const echo = await api.http().post('/v1/chat/completions').set(alice.auth).send({ model: 'echo/echo-1', messages: [{ role: 'user', content: content(`data:image/png;base64,${PNG.toString('base64')}`) }] });
    expect(echo.status).toBe(400);
    expect(fake.requests.length).toBe(requestsBefore);
  });
});

describe('files stored in a directory (e2e)', () => {
  let api: TestApp;
  let fake: FakeLlmServer;
  let user: TestUser;
  let dir: string;
  const listing = (owner: TestUser) => {
    try {
      return readdirSync(join(dir, owner.id)).sort();
    } catch {
      return [];
    }
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'files-e2e-'));
    fake = await startFakeLlm({ port: 0 });
    api = await bootTestApp({ ...FILES_ENV, FILES_STORAGE: 'directory', FILES_DIR: dir });
    user = await registerUser(api);
    await configureFakeProvider(api, user, 'anthropic', fake.url);
  });
  afterAll(async () => {
    await api?.close();
    await fake?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes each file under its owner, named by its id alone, and never a refused one', async () => {
    const id = await uploadId(api, user, PNG, '../../escape.png');
    expect(listing(user)).toEqual([id]);
    expect(Buffer.compare(readFileSync(join(dir, user.id, id)), PNG)).toBe(0);
    const download = await api.http().get(`/api/files/${id}`).set(user.auth).expect(200);
    expect(download.headers['content-type']).toBe('image/png');

    expect((await upload(api, user, OVERSIZED, 'big.png', 'image/png')).status).toBe(413);
    expect((await upload(api, user, DISGUISED, 'x.png', 'image/png')).status).toBe(415);
    expect(listing(user)).toEqual([id]);
    expect(await fileIds(api, user)).toEqual([id]);

    await api.http().delete(`/api/files/${id}`).set(user.auth).expect(200);
    expect(listing(user)).toEqual([]);
  });

  it('sends a file from the directory to the provider, and removes it with its session', async () => {
    const pdf = await uploadId(api, user, PDF, 'notes.pdf');
    const result = await readStream(`${api.url}/api/chat/stream`, { token: user.token, body: { message: 'Summarise', provider: 'anthropic', model: 'fake:deltas=1', attachments: [pdf] } });
    expect(result.events.at(-1)!.event).toBe('done');
    expect(fake.requests.at(-1)!.attachments).toEqual([{ kind: 'document', mediaType: 'application/pdf', bytes: PDF.length }]);
    expect(listing(user)).toEqual([pdf]);
    await api.http().delete(`/api/chat/sessions/${result.events[0]!.data.sessionId}`).set(user.auth).expect((response) => expect(response.status).toBeLessThan(300));
    expect(listing(user)).toEqual([]);
  });

  it("removes an account's files with the account", async () => {
    const leaving = await registerUser(api);
    await uploadId(api, leaving, PNG);
    await uploadId(api, leaving, GIF);
    expect(listing(leaving)).toHaveLength(2);
    await api.http().delete('/api/auth/me').set(leaving.auth).send({ password: leaving.password }).expect(204);
    expect(listing(leaving)).toEqual([]);
    expect(readdirSync(dir)).not.toContain(leaving.id);
  });
});
