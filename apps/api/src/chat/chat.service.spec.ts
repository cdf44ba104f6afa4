import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Module, type MessageEvent } from '@nestjs/common';
import { lastValueFrom, type Observable, toArray } from 'rxjs';
import type { AuthUser } from '../auth/auth-user.js';
import type { StreamChatDto } from './dto/stream-chat.dto.js';
import { MessagesRepository } from '@app/persistence';
import { deltaText } from '../../../fake-llm/src/fake-llm.server.js';
import { eventually } from '../../../../test/helpers/eventually.js';
import { FAKE_BASE_PATHS, FAKE_KEY } from '../../../../test/factories/provider.factory.js';
import { bootServices, type ServiceTestbed } from '../../../../test/helpers/service-testbed.js';
import { FilesModule } from '../files/files.module.js';
import { GenerationsModule } from '../generations/generations.module.js';
import { ReplySaver } from '../generations/reply.saver.js';
import { MetricsModule } from '../observability/metrics.module.js';
import { PresetsModule } from '../presets/presets.module.js';
import { ProvidersModule } from '../providers/providers.module.js';
import { ProvidersService } from '../providers/providers.service.js';
import { RedisModule } from '../redis/redis.module.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { RoutingModule } from '../routing/routing.module.js';
import { ChatService } from './chat.service.js';
import { TitlesService } from './titles.service.js';

const MAX_REPLY_CHARS = 1000;

/** ChatService with what ChatModule gives it, without the HTTP side (controller, guards). */
@Module({ imports: [FilesModule, GenerationsModule, PresetsModule, ProvidersModule, RoutingModule, SessionsModule], providers: [ChatService, TitlesService] })
class ChatServiceModule {}

const all = (events: Observable<MessageEvent>) => lastValueFrom(events.pipe(toArray()));
const data = (event: MessageEvent | undefined) => event?.data as Record<string, unknown>;
const text = (events: MessageEvent[]) =>
  events
    .filter((event) => event.type === 'message')
    .map((event) => data(event).content as string)
    .join('');

describe('ChatService (PGlite, fake upstream)', () => {
  let bed: ServiceTestbed;
  let chat: ChatService;
  let user: AuthUser;
  const open = new AbortController().signal;
  const send = (dto: Partial<StreamChatDto>) => chat.send(user, { message: 'Hello there', provider: 'openai', ...dto } as StreamChatDto, open);
  const rows = (sessionId: string) => bed.module.get(MessagesRepository).listOwned(user.id, sessionId);
  const sessionOf = (events: MessageEvent[]) => data(events.find((event) => event.type === 'session')).sessionId as string;

  beforeAll(async () => {
    bed = await bootServices([MetricsModule, RedisModule, ChatServiceModule], { CHAT_MAX_REPLY_CHARS: String(MAX_REPLY_CHARS), CHAT_HISTORY_MAX_MESSAGES: '4' });
    chat = bed.module.get(ChatService);
    user = { id: bed.userId, role: 'member' };
    await bed.module.get(ProvidersService).upsert(user.id, 'openai', { apiKey: FAKE_KEY, baseUrl: `${bed.fake.url}${FAKE_BASE_PATHS.openai}` }, { clientAddress: null, requestId: null });
  });
  afterAll(() => bed?.close());

  it('streams a new session: session, a message per delta, done; the question and the reply saved complete', async () => {
    const events = await all(await send({ model: 'fake:deltas=4' }));
    expect(events.map((event) => event.type)).toEqual(['session', 'message', 'message', 'message', 'message', 'done']);
    expect(text(events)).toBe([0, 1, 2, 3].map(deltaText).join(''));
    const saved = await rows(sessionOf(events));
    expect(saved.map((row) => [row.role, row.status, row.content])).toEqual([
      ['user', 'complete', 'Hello there'],
      ['assistant', 'complete', text(events)],
    ]);
    // The upstream was asked with the user's own key.
    expect(bed.fake.requests.at(-1)?.headers.authorization).toBe(`Bearer ${FAKE_KEY}`);
  });

  /** Subscribes once, as a client does: every event, and the moment the first delta arrives. */
  const watch = (events: Observable<MessageEvent>) => {
    const seen: MessageEvent[] = [];
    let firstDelta!: () => void;
    let ended!: (events: MessageEvent[]) => void;
    const delta = new Promise<void>((resolve) => (firstDelta = resolve));
    const all = new Promise<MessageEvent[]>((resolve) => (ended = resolve));
    const subscription = events.subscribe({
      next: (event) => {
        seen.push(event);
        if (event.type === 'message') firstDelta();
      },
      complete: () => ended(seen),
    });
    return { delta, ended: all, sessionId: () => sessionOf(seen), leave: () => subscription.unsubscribe() };
  };

  it('continues a session with its branch as history (oldest first, within CHAT_HISTORY_MAX_MESSAGES); 404 for another user', async () => {
    const first = await all(await send({ message: 'first question', model: 'fake:deltas=1' }));
    const sessionId = sessionOf(first);
    await all(await send({ sessionId, message: 'second question', model: 'fake:deltas=2' }));
    await all(await send({ sessionId, message: 'third question', model: 'fake:deltas=1' }));
    const asked = bed.fake.requests.at(-1)!.body as { messages: { role: string; content: string }[] };
    // Four messages at most: the new question and the newest three of the branch, from which a reply cannot start.
    expect(asked.messages.map((message) => [message.role, message.content])).toEqual([
      ['user', 'second question'],
      ['assistant', [0, 1].map(deltaText).join('')],
      ['user', 'third question'],
    ]);
    const other: AuthUser = { id: randomUUID(), role: 'member' };
    await expect(chat.send(other, { message: 'mine now', provider: 'openai', model: 'fake:deltas=1', sessionId } as StreamChatDto, open)).rejects.toMatchObject({
      code: 'SESSION_NOT_FOUND',
    });
  });

  it('stops the reply on request, saving it aborted, and refuses a second one while it runs (409)', async () => {
    const client = watch(await send({ model: 'fake:deltas=1000,delay=20' }));
    await client.delta;
    const sessionId = client.sessionId();
    await expect(send({ sessionId, model: 'fake:deltas=1' })).rejects.toMatchObject({ code: 'GENERATION_IN_PROGRESS' });
    expect(await chat.stop(user, sessionId)).toBe(true);
    const ended = await client.ended;
    expect(data(ended.at(-1))).toMatchObject({ stopped: true, reason: 'user' });
    expect((await rows(sessionId)).at(-1)).toMatchObject({ status: 'aborted', errorCode: 'stopped', content: text(ended) });
    expect(await chat.stop(user, sessionId)).toBe(false);
  });

  it('stops the reply when its client leaves, unless it detached: then it runs to its end for whoever follows', async () => {
    const client = watch(await send({ model: 'fake:deltas=1000,delay=20' }));
    await client.delta;
    client.leave();
    await eventually(async () => expect((await rows(client.sessionId())).at(-1)).toMatchObject({ status: 'aborted', errorCode: 'client_disconnected' }));
    const followed = await all((await chat.follow(user, client.sessionId()))!);
    expect(data(followed.at(-1))).toMatchObject({ stopped: true, reason: 'client_disconnected' });

    const detached = watch(await send({ model: 'fake:deltas=5,delay=20', detach: true }));
    await detached.delta;
    detached.leave();
    // The turn's rows are written once the upstream request has left: the session can be followed from then on.
    const rest = await all((await eventually(() => chat.follow(user, detached.sessionId())))!);
    expect(rest.at(-1)?.type).toBe('done');
    expect(text(rest)).toBe([0, 1, 2, 3, 4].map(deltaText).join(''));
    expect((await rows(detached.sessionId())).at(-1)).toMatchObject({ status: 'complete', content: text(rest) });
  });

  it('finds a new session from its first event on, while its rows are still being written', async () => {
    const saver = bed.module.get(ReplySaver);
    const write = saver.writeTurn.bind(saver);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const spy = jest.spyOn(saver, 'writeTurn').mockImplementationOnce(async (turn) => {
      await held;
      return write(turn);
    });
    try {
      const client = watch(await send({ model: 'fake:deltas=3,delay=20' }));
      await eventually(() => expect(spy).toHaveBeenCalled());
      const sessions = bed.module.get(SessionsService);
      const owned = sessions.get(user.id, client.sessionId());
      const renamed = sessions.rename(user.id, client.sessionId(), 'Named at once');
      await expect(sessions.get(randomUUID(), client.sessionId())).rejects.toMatchObject({ code: 'SESSION_NOT_FOUND' });
      await expect(sessions.rename(randomUUID(), client.sessionId(), 'Not yours')).rejects.toMatchObject({ code: 'SESSION_NOT_FOUND' });
      release();
      await expect(owned).resolves.toMatchObject({ id: client.sessionId(), userId: user.id });
      await expect(renamed).resolves.toMatchObject({ id: client.sessionId(), title: 'Named at once' });
      expect((await client.ended).at(-1)?.type).toBe('done');
    } finally {
      release();
      spy.mockRestore();
    }
  });

  it('cuts the reply at CHAT_MAX_REPLY_CHARS with upstream_too_large, saving exactly that much', async () => {
    const events = await all(await send({ model: 'fake:deltas=20,size=300' }));
    expect(events.at(-1)?.type).toBe('error');
    expect(data(events.at(-1))).toMatchObject({ code: 'upstream_too_large' });
    expect(text(events)).toHaveLength(MAX_REPLY_CHARS);
    expect((await rows(sessionOf(events))).at(-1)).toMatchObject({ status: 'error', errorCode: 'upstream_too_large', content: text(events) });
  });

  it('saves a reply whose upstream failed as error, and tells the client the code', async () => {
    const events = await all(await send({ model: 'fake:fail=429' }));
    expect(data(events.at(-1))).toMatchObject({ code: 'upstream_rate_limited' });
    expect((await rows(sessionOf(events))).at(-1)).toMatchObject({ status: 'error', errorCode: 'upstream_rate_limited' });
  });

  it('refuses before anything starts: an unconfigured provider; writes nothing for a client already gone', async () => {
    await expect(send({ provider: 'anthropic', model: 'claude' })).rejects.toMatchObject({ code: 'PROVIDER_NOT_CONFIGURED' });
    const gone = new AbortController();
    gone.abort();
    const before = bed.fake.requests.length;
    const events = await all(await chat.send(user, { message: 'Anyone?', provider: 'openai', model: 'fake:deltas=1' } as StreamChatDto, gone.signal));
    expect(events).toEqual([]);
    expect(bed.fake.requests.length).toBe(before);
  });
});
