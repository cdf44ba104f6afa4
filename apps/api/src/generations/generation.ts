import { Inject, Injectable, Logger, type MessageEvent } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { Observable } from 'rxjs';
import { type ChatProvider, type ChatRequest, getProviderInfo, type ProviderId, UpstreamError } from '@app/ai';
import { AppError, chatConfig } from '@app/common';
import { ChatTurnsRepository, type FinishedReply, MessagesRepository, type NewTurn } from '@app/persistence';
import { Metrics } from '../observability/metrics.js';
import type { ReplyEncoder, Usage } from './reply-encoder.js';
import { GenerationLog } from './generation-log.js';
import { GenerationStore } from './stores/generation.store.js';
import { type StopCause, GenerationRegistry } from './generation.registry.js';

export interface GenerationPlan {
  turn: NewTurn;
  provider: ChatProvider;
  request: ChatRequest;
  /** The wire format: our chat protocol, or OpenAI's chunks for /v1. */
  encoder: ReplyEncoder;
  /** False when the client asked not to be recorded (OpenAI's `store: false`): nothing is written. */
  persist: boolean;
  /** The session's one generation, which clients can reattach to and stop from anywhere (our chat protocol only). */
  shared: boolean;
}

/** A reply being generated. It runs to its end whether or not anyone watches; clients attach to its events. */
export interface Generation {
  readonly id: string;
  readonly ended: boolean;
  /** Every event from the first, then the live ones, until the end. */
  readonly events: Observable<MessageEvent>;
  /** Ends it early and saves what it has; resolves once saved, with false if it had already ended. */
  stop(cause: StopCause): Promise<boolean>;
}

interface Failure {
  code: string;
  message: string;
}

/** How an early stop is recorded on the reply. */
const STOPPED: Record<StopCause, Failure> = {
  user: { code: 'stopped', message: 'Stopped by the user' },
  client_disconnected: { code: 'client_disconnected', message: 'The client disconnected before the reply finished' },
  shutdown: { code: 'server_shutdown', message: 'The server shut down before the reply finished' },
};

/**
 * What became of a reply's final write: saved; failed now but being retried in the background (the database may
 * come back); or never to be saved (the turn's rows were not written, so there is no row to finish).
 */
type SaveOutcome = 'saved' | 'retrying' | 'failed';

/** The reply's row itself is refused (SQLSTATE class 22, data exception, or 23, constraint): writing it again cannot help. */
function refusesRow(error: unknown): boolean {
  const failure = error as { code?: unknown; driverError?: { code?: unknown } } | undefined;
  const code = failure?.driverError?.code ?? failure?.code;
  return typeof code === 'string' && /^2[23]/.test(code);
}

/** About a minute in all: long enough for a database failover, short enough to end before the sweep. */
const SAVE_RETRY_DELAYS_MS = [250, 500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000];

/** Metric label for a model: catalogued models by name, anything a user typed as `other` (bounded cardinality). */
function modelLabel(provider: ProviderId, model: string): string {
  return getProviderInfo(provider).models.some((known) => known.id === model) ? model : 'other';
}

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;

function describeFailure(error: unknown): Failure {
  if (error instanceof UpstreamError) return { code: error.code, message: error.message };
  return { code: 'internal_error', message: 'The reply could not be generated' };
}

/**
 * Runs one reply: relays the provider's deltas as events into the generation's log and ends every path
 * (completion, upstream failure, stop) with the reply saved and marked before the last event. The turn's rows
 * are written while the provider is already being asked, so the database is not on the way to the first token.
 */
@Injectable()
export class GenerationRunner {
  private readonly logger = new Logger(GenerationRunner.name);

  constructor(
    private readonly messages: MessagesRepository,
    private readonly turns: ChatTurnsRepository,
    private readonly metrics: Metrics,
    private readonly tracker: GenerationRegistry,
    private readonly store: GenerationStore,
    @Inject(chatConfig.KEY) private readonly config: ConfigType<typeof chatConfig>,
  ) {}

  /** Starts the reply now; refused (409) while another reply of the same session runs. */
  async start(plan: GenerationPlan): Promise<Generation> {
    const { replyId, sessionId } = plan.turn;
    if (plan.shared && !(await this.store.claim(sessionId, replyId))) {
      throw new AppError('GENERATION_IN_PROGRESS', 'A reply is already being generated in this session: wait for it, or stop it first');
    }
    const log = new GenerationLog(replyId, sessionId);
    if (plan.shared) this.store.publish(log);

    const events = plan.encoder;
    const emitAll = (list: MessageEvent[]) => list.forEach((event) => log.append(event));
    const upstream = new AbortController();
    const chunks: string[] = [];
    /** The reply's characters so far: a running count, so the limit costs one addition per delta. */
    let replyChars = 0;
    let cutOff = false;
    const startedAt = performance.now();
    let usage: Usage | null = null;
    let settled = false;
    const provider = plan.turn.provider as ProviderId;
    const labels = { provider, model: modelLabel(provider, plan.request.model) };
    this.metrics.activeStreams.inc();
    let sendTurn!: () => void;
    const written = new Promise<void>((send) => (sendTurn = send)).then(() => (plan.persist ? this.turns.beginTurn(plan.turn) : undefined)).then(
      () => true,
      (error: unknown) => {
        this.logger.error(`Could not write turn ${replyId}`, error instanceof Error ? error.stack : String(error));
        return false;
      },
    );

    /** Saves the reply once, whatever ends it; a second call (a stop racing completion) does nothing. */
    const settle = async (reply: Pick<FinishedReply, 'status' | 'errorCode' | 'error'>): Promise<SaveOutcome> => {
      if (settled) return 'failed';
      settled = true;
      this.record(labels, reply.status, reply.errorCode, chunks.length, usage);
      try {
        return plan.persist ? await this.save(replyId, reply, written, chunks, usage, startedAt) : 'saved';
      } finally {
        untrack();
      }
    };

    const fail = (failure: Failure) => {
      void settle({ status: 'error', errorCode: failure.code, error: failure.message }).then(() => {
        emitAll(events.error(failure.code, failure.message, replyId));
        log.end();
      });
    };

    const complete = () => {
      void settle({ status: 'complete' }).then((outcome) => {
        // persistence_error only when the reply will not be saved; while a retry may still save it, the client is
        // told that, and the session's messages show the outcome (complete once saved, aborted by the sweep if not).
        if (outcome === 'failed') return fail({ code: 'persistence_error', message: 'The reply was generated but could not be saved' });
        if (outcome === 'retrying') {
          return fail({ code: 'persistence_delayed', message: "The reply was generated but not saved yet; it is being saved as soon as the database is back: read the session's messages for it" });
        }
        emitAll(events.done(replyId, usage, Math.round(performance.now() - startedAt)));
        log.end();
      });
    };

    const stop = async (cause: StopCause): Promise<boolean> => {
      if (settled) return false;
      upstream.abort();
      upstreamSubscription.unsubscribe();
      const { code, message } = STOPPED[cause];
      await settle({ status: 'aborted', errorCode: code, error: message });
      if (cause === 'shutdown') emitAll(events.error(code, 'The server is shutting down; the partial reply was saved', replyId));
      else emitAll(events.done(replyId, usage, Math.round(performance.now() - startedAt), cause));
      log.end();
      return true;
    };
    const untrack = this.tracker.add(replyId, plan.turn.userId, sessionId, stop);

    /**
     * A reply that would grow past CHAT_MAX_REPLY_CHARS ends there, failed: the upstream is cut off and the reply
     * saved as `error`. The delta that crosses the limit is cut exactly at it (one character less rather than split
     * a surrogate pair), so the client, the resume log and the saved row hold the same text of at most the limit.
     */
    const cutOffAt = (text: string, room: number) => {
      cutOff = true;
      upstream.abort();
      // A provider may emit its first delta while the subscription below is still being made.
      queueMicrotask(() => upstreamSubscription.unsubscribe());
      const end = room > 0 && isHighSurrogate(text.charCodeAt(room - 1)) ? room - 1 : room;
      if (end > 0) {
        chunks.push(text.slice(0, end));
        log.append(events.delta(chunks.at(-1)!), end);
      }
      fail({ code: 'upstream_too_large', message: `The reply grew beyond ${this.config.maxReplyChars} characters` });
    };

    log.append(events.start(sessionId, replyId));
    const upstreamSubscription = plan.provider.stream(plan.request, upstream.signal).subscribe({
      next: (delta) => {
        if (cutOff) return;
        if (delta.type === 'text') {
          if (chunks.length === 0) this.metrics.timeToFirstToken.observe({ provider }, (performance.now() - startedAt) / 1000);
          replyChars += delta.text.length;
          if (replyChars > this.config.maxReplyChars) return cutOffAt(delta.text, this.config.maxReplyChars - (replyChars - delta.text.length));
          chunks.push(delta.text);
          log.append(events.delta(delta.text), delta.text.length);
        } else if (delta.type === 'usage') {
          usage = { promptTokens: delta.promptTokens, completionTokens: delta.completionTokens };
        }
      },
      error: (error: unknown) => {
        if (cutOff) return;
        if (!(error instanceof UpstreamError)) this.logger.error('Provider stream failed', error instanceof Error ? error.stack : String(error));
        fail(describeFailure(error));
      },
      complete: () => {
        if (!cutOff) complete();
      },
    });
    // The turn's write leaves after the provider's request, so the first token never waits behind it (with PGlite
    // the write is the database's own work on this thread). On a kept-alive connection undici writes the request
    // from a setImmediate of its own, queued by the subscribe above: this one, queued after it, runs after it.
    setImmediate(sendTurn);
    void written.then((ok) => {
      if (ok || settled) return;
      upstream.abort();
      upstreamSubscription.unsubscribe();
      fail({ code: 'persistence_error', message: 'The conversation could not be saved' });
    });

    return {
      id: replyId,
      get ended() {
        return log.ended;
      },
      events: log.watch(),
      stop,
    };
  }

  /**
   * Finishes the reply's row once the turn's rows exist. A failed final write is retried in the background
   * (`retrying`; the client is told so at once), so a database outage leaves no reply `streaming`; without the
   * turn's rows there is nothing to finish (`failed`).
   */
  private async save(
    replyId: string,
    reply: Pick<FinishedReply, 'status' | 'errorCode' | 'error'>,
    written: Promise<boolean>,
    chunks: string[],
    usage: Usage | null,
    startedAt: number,
  ): Promise<SaveOutcome> {
    if (!(await written)) return 'failed';
    const row: FinishedReply = {
      ...reply,
      content: chunks.join(''),
      responseTimeMs: Math.round(performance.now() - startedAt),
      promptTokens: usage?.promptTokens ?? null,
      completionTokens: usage?.completionTokens ?? null,
    };
    try {
      await this.messages.finishReply(replyId, row);
      return 'saved';
    } catch (error) {
      if (refusesRow(error)) return this.markUnsaved(replyId, row, error);
      this.logger.error(`Could not save reply ${replyId}; retrying in the background`, error instanceof Error ? error.stack : String(error));
      void this.retrySave(replyId, row);
      return 'retrying';
    }
  }

  /** A reply the database refuses is marked failed, without its text, rather than retried in vain and left `streaming`. */
  private async markUnsaved(replyId: string, row: FinishedReply, error: unknown): Promise<SaveOutcome> {
    this.logger.error(`The database refused reply ${replyId}; marking it failed`, error instanceof Error ? error.stack : String(error));
    const marker: FinishedReply = { ...row, content: '', status: 'error', errorCode: 'persistence_error', error: 'The reply was generated but could not be saved' };
    // If even this fails, the stale-reply sweep marks the reply aborted.
    await this.messages.finishReply(replyId, marker).catch(() => undefined);
    return 'failed';
  }

  private async retrySave(replyId: string, row: FinishedReply): Promise<void> {
    for (const delayMs of SAVE_RETRY_DELAYS_MS) {
      await new Promise((resolve) => setTimeout(resolve, delayMs).unref());
      try {
        await this.messages.finishReply(replyId, row);
        this.logger.warn(`Saved reply ${replyId} after the database came back`);
        return;
      } catch {
        // still down: the next, longer wait follows
      }
    }
    this.logger.error(`Gave up saving reply ${replyId}; the stale-reply sweep will mark it aborted`);
  }

  /** Counted once per reply rather than per delta, to keep the relay loop free of metric updates. */
  private record(labels: { provider: string; model: string }, status: string, errorCode: string | null | undefined, deltas: number, usage: Usage | null) {
    this.metrics.activeStreams.dec();
    this.metrics.generations.inc({ provider: labels.provider, status });
    this.metrics.deltas.inc(labels, deltas);
    if (usage) {
      this.metrics.tokens.inc({ ...labels, kind: 'prompt' }, usage.promptTokens);
      this.metrics.tokens.inc({ ...labels, kind: 'completion' }, usage.completionTokens);
    }
    if (status === 'error' && errorCode?.startsWith('upstream_')) this.metrics.upstreamErrors.inc({ provider: labels.provider, code: errorCode });
  }
}
