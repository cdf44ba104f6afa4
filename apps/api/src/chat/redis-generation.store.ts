import { Logger, type MessageEvent, type OnModuleInit } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { Observable } from 'rxjs';
import { AppError } from '@app/common';
import type { RedisChannels } from '../redis/redis-channels.js';
import type { RedisConnections } from '../redis/redis.connections.js';
import { type EventPosition, isFinal } from './chat-events.js';
import type { GenerationLog } from './generation-log.js';
import { RedisEventBatcher } from './redis-event-batcher.js';
import { GenerationStore, type GenerationStoreSettings } from './generation.store.js';
import type { GenerationTracker } from './generation.tracker.js';

const STOP_CHANNEL = 'chat:stop';
/** How long a stop request waits for the replica that runs the generation to save it and say so. */
const STOP_WAIT_MS = 10_000;

const runningKey = (sessionId: string) => `chat:session:${sessionId}:running`;
const latestKey = (sessionId: string) => `chat:session:${sessionId}:latest`;
/**
 * A Redis stream whose entries hold a batch of events each, with the id `0-<seq of the batch's last event>`:
 * XRANGE from an event id gives the batch holding the next event and every later one.
 */
const eventsKey = (generationId: string) => `chat:generation:${generationId}:events`;
const eventsChannel = (generationId: string) => `chat:generation:${generationId}`;

/** Claims the session and names the generation its latest, or does neither when another one runs. */
const CLAIM = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[3])
  return 1
end
return 0`;
/** Releases the claim only if it is still this generation's (it may have expired and been taken since). */
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

interface StoredEvent {
  seq: number;
  event: MessageEvent;
}

const encode = (seq: number, event: MessageEvent) => JSON.stringify({ seq, type: event.type, data: event.data });

/** A stream entry or channel message: a JSON array of encoded events. */
function decode(generationId: string, raw: string): StoredEvent[] {
  const batch = JSON.parse(raw) as { seq: number; type: string; data: object }[];
  return batch.map(({ seq, type, data }) => ({ seq, event: { id: `${generationId}:${seq}`, type, data } }));
}

/**
 * The store for several replicas: claims and the latest generation per session are keys, each generation's
 * events a Redis stream (replay after any event id) plus a channel (live events), and stop requests a
 * channel every replica listens to. The replica that runs a generation streams to its own client from memory;
 * Redis carries the events for everyone else, in batches (`RedisEventBatcher`).
 */
export class RedisGenerationStore extends GenerationStore implements OnModuleInit {
  private readonly logger = new Logger(RedisGenerationStore.name);
  private readonly redis: Redis;
  private readonly channels: RedisChannels;
  private readonly batcher: RedisEventBatcher;
  private failing = false;

  constructor(
    connections: RedisConnections,
    private readonly tracker: GenerationTracker,
    private readonly settings: GenerationStoreSettings,
  ) {
    super();
    this.redis = connections.client!;
    this.channels = connections.channels;
    this.batcher = new RedisEventBatcher(this.redis, this.report);
  }

  /** Not awaited: with Redis down at start-up the server still starts (and reports not ready); ioredis subscribes once it connects. */
  onModuleInit(): void {
    this.channels.listen(STOP_CHANNEL, (sessionId) => void this.tracker.stopSession(sessionId, 'user')).catch((error: unknown) => {
      this.logger.error(`Could not listen for stop requests: ${error instanceof Error ? error.message : String(error)}`);
    });
  }

  async claim(sessionId: string, generationId: string): Promise<boolean> {
    const { maxRunMs, retentionMs } = this.settings;
    try {
      return (await this.redis.eval(CLAIM, 2, runningKey(sessionId), latestKey(sessionId), generationId, maxRunMs, maxRunMs + retentionMs)) === 1;
    } catch (error) {
      this.logger.error(`Could not claim session ${sessionId}`, error instanceof Error ? error.stack : String(error));
      throw new AppError('REDIS_UNAVAILABLE', 'Replies cannot start right now: the coordination store is unavailable; retry shortly');
    }
  }

  publish(log: GenerationLog): void {
    const { generationId, sessionId } = log;
    const key = eventsKey(generationId);
    const channel = eventsChannel(generationId);
    let seq = 0;
    log.watch().subscribe({
      next: (event) => {
        seq++;
        this.batcher.add(key, channel, seq, encode(seq, event), seq === 1 ? this.settings.maxRunMs + this.settings.retentionMs : undefined);
      },
      complete: () => {
        // The last events first: one connection, so Redis applies them before the claim is released.
        this.batcher.flush();
        this.redis.pexpire(key, this.settings.retentionMs).catch(this.report);
        this.redis.pexpire(latestKey(sessionId), this.settings.retentionMs).catch(this.report);
        this.redis.eval(RELEASE, 1, runningKey(sessionId), generationId).catch(this.report);
      },
    });
  }

  async follow(sessionId: string, after?: EventPosition): Promise<Observable<MessageEvent> | null> {
    const generationId = await this.redis.get(latestKey(sessionId));
    if (!generationId) return null;
    const skip = after?.generationId === generationId ? after.seq : 0;
    const last = await this.lastEvent(generationId);
    if (last && isFinal(last.event) && last.seq <= skip) return null;
    return this.tail(sessionId, generationId, skip);
  }

  async stopElsewhere(sessionId: string): Promise<boolean> {
    const generationId = await this.redis.get(runningKey(sessionId));
    if (!generationId) return false;
    let settle!: (stopped: boolean) => void;
    const outcome = new Promise<boolean>((resolve) => (settle = resolve));
    const stopListening = await this.channels.listen(eventsChannel(generationId), (raw) => {
      const final = decode(generationId, raw).find(({ event }) => isFinal(event))?.event;
      if (final) settle(final.type === 'done' && (final.data as { stopped?: boolean }).stopped === true);
    });
    const timer = setTimeout(() => settle(false), STOP_WAIT_MS);
    try {
      // It may have ended while we started listening: then there is nothing left to stop.
      if ((await this.redis.get(runningKey(sessionId))) !== generationId) return false;
      await this.redis.publish(STOP_CHANNEL, sessionId);
      return await outcome;
    } finally {
      clearTimeout(timer);
      stopListening();
    }
  }

  /** The events after `skip` from the stream, then live ones from the channel, without a gap or a repeat. */
  private tail(sessionId: string, generationId: string, skip: number): Observable<MessageEvent> {
    return new Observable<MessageEvent>((subscriber) => {
      let seen = skip;
      let live = false;
      const early: StoredEvent[] = [];
      const deliver = ({ seq, event }: StoredEvent) => {
        if (seq <= seen || subscriber.closed) return;
        seen = seq;
        subscriber.next(event);
        if (isFinal(event)) subscriber.complete();
      };
      let stopListening: (() => void) | undefined;
      const start = async () => {
        stopListening = await this.channels.listen(eventsChannel(generationId), (raw) => {
          const batch = decode(generationId, raw);
          if (live) batch.forEach(deliver);
          else early.push(...batch);
        });
        if (subscriber.closed) return stopListening();
        const entries = await this.redis.xrange(eventsKey(generationId), `(0-${skip}`, '+');
        entries.forEach(([, fields]) => decode(generationId, fields[1]!).forEach(deliver));
        early.forEach(deliver);
        live = true;
        // Nothing yet: a generation that has just started (its first events wait in a batch) is still the
        // session's latest; one that is not any more has expired or been replaced, and nothing will come.
        if (entries.length === 0 && early.length === 0 && (await this.redis.get(latestKey(sessionId))) !== generationId) subscriber.complete();
      };
      start().catch((error: unknown) => subscriber.error(error));
      return () => stopListening?.();
    });
  }

  private async lastEvent(generationId: string): Promise<StoredEvent | undefined> {
    const [entry] = await this.redis.xrevrange(eventsKey(generationId), '+', '-', 'COUNT', 1);
    return entry && decode(generationId, entry[1][1]!).at(-1);
  }

  /** Logged once per outage: a live reply is not interrupted because others could not follow it. */
  private readonly report = (error: unknown) => {
    if (this.failing) return;
    this.failing = true;
    this.logger.error(`Could not share generation events through Redis: ${error instanceof Error ? error.message : String(error)}`);
    setTimeout(() => (this.failing = false), 60_000).unref();
  };
}
