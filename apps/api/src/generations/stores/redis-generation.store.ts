import { Logger, type MessageEvent, type OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { Observable } from 'rxjs';
import { AppError } from '@app/common';
import { INTERRUPTED_REPLY_ERROR } from '@app/persistence';
import type { RedisChannels } from '../../redis/redis-channels.js';
import { REDIS_COMMAND_TIMEOUT_MS, type RedisConnectionsService } from '../../redis/redis-connections.service.js';
import { type EventPosition, isFinal } from '../reply-encoder.js';
import type { GenerationLog } from '../generation-log.js';
import { RedisEventBatcher } from './redis-event-batcher.js';
import { type AbandonGeneration, GenerationStore, type GenerationStoreSettings } from './generation.store.js';
import type { GenerationRegistry } from '../generation.registry.js';

/** How long a stop request waits for the replica that runs the generation to save it and say so. */
const STOP_WAIT_MS = 10_000;

/** Each process hears stop requests for its own generations on a channel of its own. */
const stopChannel = (ownerId: string) => `chat:stop:${ownerId}`;
/**
 * The session's lease: `<generation id> <owner id>` while a generation runs, for GENERATION_LEASE_MS, renewed
 * by its owner while it runs. A process that dies stops renewing, and the session is free again soon after.
 */
const runningKey = (sessionId: string) => `chat:session:${sessionId}:running`;
const latestKey = (sessionId: string) => `chat:session:${sessionId}:latest`;
/**
 * `<owner id> <user id>` from the claim until the owner has written the generation's turn: the session's rows do
 * not exist yet, though its client may already use its id on another replica. Expires with the lease's first term
 * when the owner dies before writing.
 */
const unwrittenKey = (sessionId: string) => `chat:session:${sessionId}:unwritten`;
/**
 * A Redis stream whose entries hold a batch of events each, with the id `0-<seq of the batch's last event>`:
 * XRANGE from an event id gives the batch holding the next event and every later one.
 */
const eventsKey = (generationId: string) => `chat:generation:${generationId}:events`;
const eventsChannel = (generationId: string) => `chat:generation:${generationId}`;

/**
 * Takes the session's lease (ARGV[1], for ARGV[2] ms), names the generation (ARGV[4]) its latest and marks its turn
 * unwritten (ARGV[5]), or does none of it when another one runs.
 */
const CLAIM = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  redis.call('SET', KEYS[2], ARGV[4], 'PX', ARGV[3])
  redis.call('SET', KEYS[3], ARGV[5], 'PX', ARGV[2])
  return 1
end
return 0`;
/** Deletes a key only if it still holds this process's value (a claim may have expired and been taken since). */
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
/** The session's latest generation (KEYS[2]) if nothing holds the session (KEYS[1]): it cannot be running. */
const LATEST_IF_FREE = `if redis.call('EXISTS', KEYS[1]) == 1 then return false end return redis.call('GET', KEYS[2])`;
/**
 * Extends every lease of this process that it still holds (KEYS[i] holding ARGV[i + 1]) by ARGV[1] ms, in one
 * call whatever the number of generations; answers the positions of the leases it no longer holds.
 */
const RENEW = `
local lost = {}
for i, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[i + 1] then redis.call('PEXPIRE', key, ARGV[1]) else lost[#lost + 1] = i end
end
return lost`;

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
  /** This process, as the owner named in its leases. */
  private readonly ownerId = randomUUID();
  /** The leases of this process's running generations: lease key → value. */
  private readonly leases = new Map<string, string>();
  private renewTimer: NodeJS.Timeout | undefined;
  /** Settles once this process hears its stop requests; until then it cannot take a lease it could be asked to stop. */
  private hearingStops: Promise<unknown> = new Promise(() => undefined);
  private hearsStops = false;

  constructor(
    connections: RedisConnectionsService,
    private readonly registry: GenerationRegistry,
    private readonly settings: GenerationStoreSettings,
  ) {
    super();
    this.redis = connections.client!;
    this.channels = connections.channels;
    this.batcher = new RedisEventBatcher(this.redis, this.report);
  }

  /** Not awaited: with Redis down at start-up the server still starts (and reports not ready); ioredis subscribes once it connects. */
  onModuleInit(): void {
    this.hearingStops = this.channels.listen(stopChannel(this.ownerId), (sessionId) => void this.registry.stopSession(sessionId, 'user')).then(
      () => (this.hearsStops = true),
    );
    this.hearingStops.catch((error: unknown) => {
      this.logger.error(`Could not listen for stop requests: ${error instanceof Error ? error.message : String(error)}`);
    });
  }

  async claim(sessionId: string, generationId: string, userId: string): Promise<boolean> {
    const what = `claim session ${sessionId}`;
    const { leaseMs, maxRunMs, retentionMs } = this.settings;
    const key = runningKey(sessionId);
    const lease = `${generationId} ${this.ownerId}`;
    // A stop request finds a lease's owner by its subscription: without one, the owner would look dead.
    if (!this.hearsStops) await this.command(withTimeout(this.hearingStops, REDIS_COMMAND_TIMEOUT_MS), what);
    const claimed = (await this.command(this.redis.eval(CLAIM, 3, key, latestKey(sessionId), unwrittenKey(sessionId), lease, leaseMs, maxRunMs + retentionMs, generationId, this.writer(userId)), what)) === 1;
    if (claimed) this.hold(key, lease);
    return claimed;
  }

  turnWritten(sessionId: string, userId: string): void {
    this.redis.eval(RELEASE, 1, unwrittenKey(sessionId), this.writer(userId)).catch(this.report);
  }

  async writesTurnElsewhere(userId: string, sessionId: string): Promise<boolean> {
    try {
      const writer = await this.redis.get(unwrittenKey(sessionId));
      return writer !== null && writer !== this.writer(userId) && writer.endsWith(` ${userId}`);
    } catch (error) {
      this.report(error);
      return false;
    }
  }

  /** This process writing a turn of this user: the value of an `unwrittenKey`. */
  private writer(userId: string): string {
    return `${this.ownerId} ${userId}`;
  }

  /** One MGET of the sessions' leases: a lease exists while its generation runs, and expires soon after its replica dies. */
  async runningAmong(sessionIds: readonly string[]): Promise<ReadonlySet<string> | null> {
    if (sessionIds.length === 0) return new Set();
    try {
      const leases = await this.redis.mget(...sessionIds.map(runningKey));
      return new Set(sessionIds.filter((_, index) => leases[index] !== null));
    } catch (error) {
      this.logger.warn(`Could not read which sessions are generating: Redis: ${error instanceof Error ? error.message : String(error)}`);
      return null;
    }
  }

  publish(log: GenerationLog): void {
    const { generationId, sessionId } = log;
    const key = eventsKey(generationId);
    const channel = this.channels.name(eventsChannel(generationId));
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
        this.release(runningKey(sessionId));
      },
    });
  }

  async follow(sessionId: string, after?: EventPosition): Promise<Observable<MessageEvent> | null> {
    const what = `follow session ${sessionId}`;
    const generationId = await this.command(this.redis.get(latestKey(sessionId)), what);
    if (!generationId) return null;
    const skip = after?.generationId === generationId ? after.seq : 0;
    const last = await this.command(this.lastEvent(generationId), what);
    if (last && isFinal(last.event) && last.seq <= skip) return null;
    return this.tail(sessionId, generationId, skip);
  }

  async stopElsewhere(sessionId: string, abandon: AbandonGeneration): Promise<boolean> {
    const what = `stop session ${sessionId}`;
    const key = runningKey(sessionId);
    const lease = await this.command(this.redis.get(key), what);
    if (!lease) return this.abandonExpired(sessionId, abandon);
    const [generationId, ownerId] = lease.split(' ') as [string, string];
    let settle!: (stopped: boolean) => void;
    const outcome = new Promise<boolean>((resolve) => (settle = resolve));
    const stopListening = await this.channels.listen(eventsChannel(generationId), (raw) => {
      const final = decode(generationId, raw).find(({ event }) => isFinal(event))?.event;
      if (final) settle(final.type === 'done' && (final.data as { stopped?: boolean }).stopped === true);
    });
    const timer = setTimeout(() => settle(false), STOP_WAIT_MS);
    try {
      // It may have ended while we started listening: then there is nothing left to stop.
      if ((await this.command(this.redis.get(key), what)) !== lease) return false;
      const heard = await this.command(this.redis.publish(this.channels.name(stopChannel(ownerId)), sessionId), what);
      if (heard > 0) return await outcome;
      // Nobody listens on the owner's channel: its process is gone (its subscription died with its connection)
      // and its lease has not expired yet. Its reply is marked before the session is free for the next one.
      this.logger.warn(`Generation ${generationId} of session ${sessionId} has no live owner; marking it aborted`);
      await abandon(generationId);
      await this.command(this.endAbandoned(generationId), what);
      await this.command(this.redis.eval(RELEASE, 1, key, lease), what);
      return true;
    } finally {
      clearTimeout(timer);
      stopListening();
    }
  }

  /**
   * The events after `skip` from the stream, then live ones from the channel, without a gap or a repeat. If the
   * events stop coming from Redis (its connection drops), the follower gets `resume_unavailable` and the end, so
   * it reconnects with the id of the last event it has, rather than waiting for events that will never come.
   */
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
      const unavailable = () => {
        if (subscriber.closed) return;
        // The id repeats the last event's, so a client's Last-Event-ID still says where it is.
        subscriber.next({ id: `${generationId}:${seen}`, type: 'error', data: { error: RESUME_UNAVAILABLE, code: 'resume_unavailable', messageId: generationId } });
        subscriber.complete();
      };
      const stopWatching = this.channels.watchDrop(unavailable);
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
      start().catch(unavailable);
      return () => {
        stopWatching();
        stopListening?.();
      };
    });
  }

  /**
   * Nothing holds the session. If its latest generation never sent its final event, its owner died and the lease
   * has expired since; its reply would stay `streaming` until the stale-reply sweep: marked now instead.
   */
  private async abandonExpired(sessionId: string, abandon: AbandonGeneration): Promise<boolean> {
    const what = `stop session ${sessionId}`;
    const generationId = (await this.command(this.redis.eval(LATEST_IF_FREE, 2, runningKey(sessionId), latestKey(sessionId)), what)) as string | null;
    if (!generationId) return false;
    const last = await this.command(this.lastEvent(generationId), what);
    // A final event, or a reply its owner saved although it could not share its end: nothing to stop.
    if ((last && isFinal(last.event)) || !(await abandon(generationId))) return false;
    this.logger.warn(`Generation ${generationId} of session ${sessionId} lost its owner; marked it aborted`);
    await this.command(this.endAbandoned(generationId), what);
    return true;
  }

  /** Gives a generation whose owner died the final event it never sent, so its followers end as its row says. */
  private async endAbandoned(generationId: string): Promise<void> {
    const last = await this.lastEvent(generationId);
    if (last && isFinal(last.event)) return;
    const seq = (last?.seq ?? 0) + 1;
    const event: MessageEvent = { type: 'error', data: { error: INTERRUPTED_REPLY_ERROR, code: 'interrupted', messageId: generationId } };
    this.batcher.add(eventsKey(generationId), this.channels.name(eventsChannel(generationId)), seq, encode(seq, event), this.settings.retentionMs);
    this.batcher.flush();
  }

  private async lastEvent(generationId: string): Promise<StoredEvent | undefined> {
    const [entry] = await this.redis.xrevrange(eventsKey(generationId), '+', '-', 'COUNT', 1);
    return entry && decode(generationId, entry[1][1]!).at(-1);
  }

  /** Runs a Redis command for a request; while Redis is down the request is refused with a 503. */
  private async command<T>(pending: Promise<T>, what: string): Promise<T> {
    try {
      return await pending;
    } catch (error) {
      this.logger.warn(`Could not ${what}: Redis: ${error instanceof Error ? error.message : String(error)}`);
      throw new AppError('DEPENDENCY_UNAVAILABLE', 'Replies cannot be started, followed or stopped right now: the coordination store is unavailable; retry shortly');
    }
  }

  /**
   * Keeps a lease of this process alive while its generation runs: one timer renews them all, and stops with the
   * last of them (so it runs through a shutdown's grace period, while replies still finish).
   */
  private hold(key: string, lease: string): void {
    this.leases.set(key, lease);
    this.renewTimer ??= setInterval(() => this.renew(), this.settings.leaseMs / 3).unref();
  }

  private release(key: string): void {
    const lease = this.leases.get(key);
    if (lease === undefined) return;
    this.leases.delete(key);
    if (this.leases.size === 0) {
      clearInterval(this.renewTimer);
      this.renewTimer = undefined;
    }
    this.redis.eval(RELEASE, 1, key, lease).catch(this.report);
  }

  private renew(): void {
    const keys = [...this.leases.keys()];
    if (keys.length === 0) return;
    const leases = keys.map((key) => this.leases.get(key)!);
    this.redis.eval(RENEW, keys.length, ...keys, this.settings.leaseMs, ...leases).then((lost) => {
      for (const position of lost as number[]) {
        const key = keys[position - 1]!;
        // Expired during an outage, or released by a stop that found no owner: the session may run another reply.
        if (this.leases.get(key) !== leases[position - 1]) continue;
        this.leases.delete(key);
        this.logger.warn(`Lost the lease of ${key.split(':')[2]} while its generation runs; it no longer keeps other replies out`);
      }
    }, this.report);
  }

  /**
   * Logged once per outage: a live reply is not interrupted because others could not follow it, nor because its
   * lease could not be renewed.
   */
  private readonly report = (error: unknown) => {
    if (this.failing) return;
    this.failing = true;
    this.logger.error(`Could not share generation events or renew leases through Redis: ${error instanceof Error ? error.message : String(error)}`);
    setTimeout(() => (this.failing = false), 60_000).unref();
  };
}

const RESUME_UNAVAILABLE = 'The live events of this reply are unavailable for now; reconnect to resume';

/** `pending`, or a rejection once `ms` have passed. */
function withTimeout<T>(pending: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)));
  return Promise.race([pending, timeout]).finally(() => clearTimeout(timer));
}
