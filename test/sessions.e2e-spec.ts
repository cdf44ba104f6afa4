import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { registerUser, type TestUser } from './factories/user.factory.js';
import { readStream } from './helpers/sse-client.js';
import { bootTestApp, type TestApp } from './helpers/test-app.js';

describe('sessions API (e2e)', () => {
  let api: TestApp;
  let owner: TestUser;
  let other: TestUser;
  const startSession = async (message: string, who = owner) => {
    const result = await readStream(`${api.url}/api/chat/stream`, { token: who.token, body: { message, provider: 'echo' } });
    return result.events[0]!.data.sessionId as string;
  };

  beforeAll(async () => {
    api = await bootTestApp();
    owner = await registerUser(api);
    other = await registerUser(api);
  });
  afterAll(() => api.close());

  it('lists sessions newest first with cursor pagination', async () => {
    const user = await registerUser(api);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await startSession(`session number ${i}`, user));
    const first = await api.http().get('/api/chat/sessions?limit=2').set(user.auth).expect(200);
    expect(first.body.sessions.map((s: any) => s.id)).toEqual([ids[4], ids[3]]);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await api.http().get(`/api/chat/sessions?limit=2&cursor=${first.body.nextCursor}`).set(user.auth).expect(200);
    expect(second.body.sessions.map((s: any) => s.id)).toEqual([ids[2], ids[1]]);
    const third = await api.http().get(`/api/chat/sessions?limit=2&cursor=${second.body.nextCursor}`).set(user.auth).expect(200);
    expect(third.body.sessions.map((s: any) => s.id)).toEqual([ids[0]]);
    expect(third.body.nextCursor).toBeNull();
    expect(first.body.sessions[0]).toEqual({
      id: ids[4],
      title: 'session number 4',
      titleSetByUser: false,
      provider: 'echo',
      model: 'echo-1',
      systemPrompt: null,
      temperature: null,
      maxOutputTokens: null,
      reasoning: null,
      archived: false,
      pinned: false,
      folderId: null,
      tags: [],
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      lastMessagePreview: 'Echo: session number 4',
      messageCount: 2,
      isGenerating: false,
    });
  });

  it('titles a session with the first 50 characters of its first message', async () => {
    const id = await startSession('a'.repeat(80));
    const session = await api.http().get(`/api/chat/sessions/${id}`).set(owner.auth).expect(200);
    expect(session.body.title).toBe('a'.repeat(50));
  });

  it('moves a session to the top when it gets a new turn', async () => {
    const user = await registerUser(api);
    const older = await startSession('older', user);
    await startSession('newer', user);
    await readStream(`${api.url}/api/chat/stream`, { token: user.token, body: { message: 'again', sessionId: older } });
    const list = await api.http().get('/api/chat/sessions').set(user.auth).expect(200);
    expect(list.body.sessions[0].id).toBe(older);
  });

  it('renames only with a valid title, and only your own session', async () => {
    const id = await startSession('to rename');
    const renamed = await api.http().put(`/api/chat/sessions/${id}/title`).set(owner.auth).send({ title: 'Renamed' }).expect(200);
    expect(renamed.body.title).toBe('Renamed');
    await api.http().put(`/api/chat/sessions/${id}/title`).set(owner.auth).send({ title: '' }).expect(400);
    await api.http().put(`/api/chat/sessions/${id}/title`).set(owner.auth).send({ title: '   ' }).expect(400);
    await api.http().put(`/api/chat/sessions/${id}/title`).set(owner.auth).send({ title: 'x'.repeat(201) }).expect(400);
    await api.http().put(`/api/chat/sessions/${id}/title`).set(owner.auth).send({}).expect(400);
    await api.http().put(`/api/chat/sessions/${id}/title`).set(other.auth).send({ title: 'mine now' }).expect(404);
    await api.http().put('/api/chat/sessions/00000000-0000-4000-8000-000000000000/title').set(owner.auth).send({ title: 'ghost' }).expect(404);
    expect((await api.http().get(`/api/chat/sessions/${id}`).set(owner.auth)).body.title).toBe('Renamed');
  });

  it('deletes a session with its messages; a second delete is 404', async () => {
    const id = await startSession('to delete');
    await api.http().delete(`/api/chat/sessions/${id}`).set(other.auth).expect(404);
    const deleted = await api.http().delete(`/api/chat/sessions/${id}`).set(owner.auth).expect(200);
    expect(deleted.body).toEqual({ id, deleted: true });
    await api.http().get(`/api/chat/sessions/${id}/messages`).set(owner.auth).expect(404);
    await api.http().delete(`/api/chat/sessions/${id}`).set(owner.auth).expect(404);
  });

  it("hides another user's sessions on every route", async () => {
    const id = await startSession('mine');
    await api.http().get(`/api/chat/sessions/${id}`).set(other.auth).expect(404);
    await api.http().get(`/api/chat/sessions/${id}/messages`).set(other.auth).expect(404);
    const list = await api.http().get('/api/chat/sessions').set(other.auth).expect(200);
    expect(list.body.sessions.map((s: any) => s.id)).not.toContain(id);
  });

  it('answers malformed ids, cursors and limits with 400', async () => {
    for (const path of ['/api/chat/sessions/abc', '/api/chat/sessions/abc/messages', '/api/chat/sessions?limit=0', '/api/chat/sessions?limit=abc', '/api/chat/sessions?cursor=%2F%2F', '/api/chat/sessions?cursor=bm9wZQ']) {
      const response = await api.http().get(path).set(owner.auth);
      expect([path, response.status]).toEqual([path, 400]);
      expect(response.body).toEqual(expect.objectContaining({ statusCode: 400, error: 'Bad Request', message: expect.any(String) }));
    }
    await api.http().delete('/api/chat/sessions/abc').set(owner.auth).expect(400);
  });
});
