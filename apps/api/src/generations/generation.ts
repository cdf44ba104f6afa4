import { Logger, type MessageEvent } from '@nestjs/common';
import { type Context, context as otelContext, type Span, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Observable, Subscription } from 'rxjs';
import { type ChatDelta, type ChatProvider, type ChatRequest, type ToolCall, chatTracer, ERROR_TYPE, GEN_AI, getProviderInfo, type ProviderId, TOOL_CALLS_FINISH, UpstreamError } from '@app/ai';
import type { FinishedReply, NewTurn, NewUsageRecord, ReplyAttempt, UserRole } from '@app/persistence';
import type { MetricsService } from '../observability/metrics.service.js';
import type { ReplyAccounting, ReplyCharge, ReportedUsage } from '../usage/reply-accounting.service.js';
import { GenerationLog } from './generation-log.js';
import type { ReplyEncoder, StopReason, Usage } from './reply-encoder.js';
import { ReplyParts, type ToolCallPiece } from './reply-parts.js';
import type { ReplySaver, SaveOutcome } from './reply.saver.js';

/**
 * Why this process stops a generation early: on request, or because the server is going away, or because the
 * user's sign-in was revoked (log out everywhere, a disabled or deleted account).
 */
export type StopCause = StopReason | ServerStopCause;
type ServerStopCause = 'shutdown' | 'session_revoked';

/** One place the reply may be asked for: a provider's strategy and its request, through one connection or key. */
export interface RouteTarget {
  providerId: ProviderId;
  /** The organisation connection; null for the user's own key. */
  connectionId: string | null;
  /** What a cooldown is kept under: the connection, or the user's own key for the provider. */
  cooldownKey: string;
  provider: ChatProvider;
  request: ChatRequest;
}

/** How a reply moves on when its target fails before the first byte (ROUTING_* configuration). */
export interface RetryRules {
  cooldownMs: number;
  retryAfterMaxMs: number;
  maxAttempts: number;
}

/** Where failing targets are remembered, so that later replies pass them over for a while (shared across replicas). */
export interface Cooldowns {
  coolDown(key: string, ms: number): void;
}

export interface GenerationPlan {
  turn: NewTurn;
  /** The asking user's current role, whose budget applies when the user has none of their own. */
  role: UserRole;
  /** In the order to try them: at least one. */
  targets: RouteTarget[];
  /** Targets passed over before the first attempt (cooling down, unusable): the start of the route's record. */
  skipped: ReplyAttempt[];
  /** The wire format: our chat protocol, or OpenAI's chunks for /v1. */
  encoder: ReplyEncoder;
  /** False when the client asked not to be recorded (OpenAI's `store: false`): nothing is written. */
  persist: boolean;
  /**
   * The session's one generation, which clients can reattach to and stop from anywhere (our chat protocol only).
   * When false (/v1), its events have one reader, the request that started it, and are not kept once sent.
   */
  shared: boolean;
}

/** `running` until the reply is settled; then the status its row was saved with. */
export type GenerationStatus = 'running' | FinishedReply['status'];

/** What a generation is given by its module: where it saves, what it counts, its limit, whom to tell once settled. */
export interface GenerationContext {
  saver: ReplySaver;
  /** Works out what the reply used and cost, once it is settled, and records it where the saver does not. */
  accounting: ReplyAccounting;
  metrics: MetricsService;
  maxReplyChars: number;
  /** Whether the span records the prompt and the reply (OTEL_GENAI_CAPTURE_CONTENT). */
  captureContent: boolean;
  /** Called once, when the reply is saved (or left to the background retries), before its last event. */
  settled(generation: Generation): void;
  retry: RetryRules;
  cooldowns: Cooldowns;
}

/**
 * Failures that another target (or the same one, after its Retry-After) may not have: a connection that failed, a
 * 5xx, a 429, no first token in time. A rejected key or request is the same everywhere, and is the user's to see.
 */
const RETRYABLE = new Set(['upstream_error', 'upstream_rate_limited', 'upstream_timeout']);

/** Failures after which a connection is passed over for a while: its key refused, rate limited, the server failing. */
function cooldownFor(error: unknown, rules: RetryRules): number | null {
  if (!(error instanceof UpstreamError)) return null;
  if (error.code === 'upstream_rate_limited') return Math.max(rules.cooldownMs, (error.retryAfterSeconds ?? 0) * 1000);
  if (error.code === 'upstream_auth' || (error.status !== undefined && error.status >= 500)) return rules.cooldownMs;
  return null;
}

interface Failure {
  code: string;
  message: string;
}

type Settlement = Pick<FinishedReply, 'status' | 'errorCode' | 'error'>;

/** How an early stop is recorded on the reply. */
const STOPPED: Record<StopCause, Failure> = {
  user: { code: 'stopped', message: 'Stopped by the user' },
  client_disconnected: { code: 'client_disconnected', message: 'The client disconnected before the reply finished' },
  shutdown: { code: 'server_shutdown', message: 'The server shut down before the reply finished' },
  session_revoked: { code: 'session_revoked', message: 'The sign-in was revoked before the reply finished' },
};

/** What the client is told when the server, not the client, ended the reply: an error event, not `done`. */
const ENDED_BY_SERVER: Record<ServerStopCause, string> = {
  shutdown: 'The server is shutting down; the partial reply was saved',
  session_revoked: 'Your sign-in was revoked; the partial reply was saved',
};
const endedByServer = (cause: StopCause): cause is ServerStopCause => cause in ENDED_BY_SERVER;

/** Metric label for a model: catalogued models by name, anything a user typed as `other` (bounded cardinality). */
function modelLabel(provider: ProviderId, model: string): string {
  return getProviderInfo(provider).models.some((known) => known.id === model) ? model : 'other';
}

/** The most tool calls one reply may make (their text counts toward CHAT_MAX_REPLY_CHARS too): OpenAI's limit on tools offered. */
export const MAX_TOOL_CALLS = 128;

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;

type ContentDelta = Extract<ChatDelta, { type: 'text' | 'reasoning' }>;

/** What a delta adds to the saved reply: its text and any provider data with it. */
function deltaSize(delta: ContentDelta): number {
  if (delta.type === 'text') return delta.text.length;
  return delta.text.length + (delta.signature?.length ?? 0) + (delta.redactedData?.length ?? 0);
}

function reportedUsage({ type: _, ...usage }: Extract<ChatDelta, { type: 'usage' }>): ReportedUsage {
  return usage;
}

function describeFailure(error: unknown): Failure {
  if (error instanceof UpstreamError) return { code: error.code, message: error.message };
  return { code: 'internal_error', message: 'The reply could not be generated' };
}

/**
 * One running reply. It relays the provider's deltas as events into its log and ends every path (completion,
 * upstream failure, the reply limit, a failed write, a stop) with the reply saved and marked before the last
 * event. It runs to its end whether or not anyone watches; clients attach to `events`. The turn's rows are
 * written while the provider is already being asked, so the database is not on the way to the first token.
 */
export class Generation {
  private static readonly logger = new Logger(Generation.name);

  readonly id: string;
  readonly sessionId: string;
  readonly userId: string;
  /** This reply's events, in order: what followers replay and the stores share; a /v1 turn's, its one reader's. */
  readonly log: GenerationLog;
  /** The running attempt's: each attempt has its own, so cancelling one never reaches the next. */
  private upstream = new AbortController();
  private subscription?: Subscription;
  /** The route so far; the last entry is the running attempt's while `attemptOpen`. */
  private readonly attempts: ReplyAttempt[];
  private attemptOpen = false;
  private attemptStartedAt = 0;
  private targetIndex = 0;
  /** Whether the last target has had its one second try after a 429's Retry-After. */
  private retriedAfterWait = false;
  /** Between two attempts: the wait before the next (a Retry-After), which a stop cancels. */
  private nextAttempt?: NodeJS.Timeout;
  /** Set once the upstream is cut off (stop, reply limit, failed write): whatever it still sends is ignored. */
  private halted = false;
  private readonly parts = new ReplyParts();
  /**
   * The reply's characters so far, reasoning and its provider data included (all of it is kept): a running
   * count, so the limit costs one addition per delta.
   */
  private chars = 0;
  private usage: ReportedUsage | null = null;
  /** What the reply used and cost; set once it is settled. */
  private settledCharge: ReplyCharge | null = null;
  private readonly startedAtDate = new Date();
  private finish?: Extract<ChatDelta, { type: 'finish' }>;
  private current: GenerationStatus = 'running';
  private readonly startedAt = performance.now();
  /** The running (in the end, the answering) target's. */
  private labels: { provider: ProviderId; model: string };
  /** The strategy's `sent`: releases the turn's write. Settling a promise twice does nothing, so any path may call it. */
  private releaseTurnWrite!: () => void;
  /** Whether the turn's rows exist (true without writing when not persisted); waits for the upstream request to leave. */
  private readonly turnWritten: Promise<boolean>;
  /** From construction to the saved reply; the upstream attempt and the turn's writes are its children. */
  private readonly span: Span;
  private readonly spanContext: Context;

  constructor(
    private readonly plan: GenerationPlan,
    private readonly context: GenerationContext,
  ) {
    this.id = plan.turn.replyId;
    this.sessionId = plan.turn.sessionId;
    this.userId = plan.turn.userId;
    this.log = new GenerationLog(this.id, this.sessionId, plan.shared);
    this.attempts = [...plan.skipped];
    this.labels = this.labelsOf(this.target);
    this.span = this.startSpan();
    this.spanContext = trace.setSpan(otelContext.active(), this.span);
    const requestSent = new Promise<void>((release) => (this.releaseTurnWrite = release));
    this.turnWritten = otelContext.with(this.spanContext, () => requestSent.then(() => (plan.persist ? context.saver.writeTurn(plan.turn) : true)));
  }

  /** Settles once the turn's rows are written (true) or could not be (false); true at once when nothing is kept. */
  get recorded(): Promise<boolean> {
    return this.turnWritten;
  }

  get ended(): boolean {
    return this.log.ended;
  }

  get status(): GenerationStatus {
    return this.current;
  }

  /** What the reply used and cost, once settled (null while it runs). */
  get charge(): ReplyCharge | null {
    return this.settledCharge;
  }

  /** Every event from the first, then the live ones, until the end; a reply that is not `shared` has one reader. */
  get events(): Observable<MessageEvent> {
    return this.log.watch();
  }

  /** The attempt's target: the running one; once settled, the one that answered (or was asked last). */
  get target(): RouteTarget {
    return this.plan.targets[this.targetIndex]!;
  }

  /**
   * Asks the provider; the turn's write waits until the strategy says the request has left, so the first token
   * never waits behind the database (with PGlite the write is the database's own work on this thread). Should a
   * strategy never say so, the upstream's end or a stop releases the write: nothing waits for it forever.
   */
  run(): void {
    this.context.metrics.activeStreams.inc();
    this.plan.encoder.start(this.sessionId, this.id).forEach((event) => this.log.append(event));
    this.attempt();
    void this.turnWritten.then((written) => written || this.onTurnUnsaved());
  }

  /** One upstream request, to the current target; the next starts only once this one has ended. */
  private attempt(): void {
    const target = this.target;
    this.labels = this.labelsOf(target);
    this.upstream = new AbortController();
    this.attemptOpen = true;
    this.attemptStartedAt = performance.now();
    this.attempts.push({ provider: target.providerId, connection: target.connectionId, model: target.request.model, status: 'ok', ms: 0 });
    const subscription = otelContext.with(this.spanContext, () =>
      target.provider.stream(target.request, this.upstream.signal, this.releaseTurnWrite).subscribe({
        next: (delta) => this.onDelta(delta),
        error: (error: unknown) => this.onUpstreamError(error),
        complete: () => this.onUpstreamComplete(),
      }),
    );
    this.subscription = subscription;
    // A provider may end the reply while the subscription above is still being made.
    if (this.halted) subscription.unsubscribe();
  }

  /** Records how the running attempt ended; the first call wins. */
  private closeAttempt(status: ReplyAttempt['status'], code?: string): void {
    if (!this.attemptOpen) return;
    this.attemptOpen = false;
    const attempt = this.attempts.at(-1)!;
    attempt.status = status;
    attempt.ms = Math.round(performance.now() - this.attemptStartedAt);
    if (code) attempt.code = code;
    this.context.metrics.upstreamAttempts.inc({ provider: attempt.provider, outcome: status });
  }

  /**
   * Where a failed attempt goes on, if anywhere: only while nothing of it has reached the client, only for a
   * failure another try may not have, within ROUTING_MAX_ATTEMPTS. The next target at once; after the last one,
   * a 429 whose Retry-After is within ROUTING_RETRY_AFTER_MAX_MS is asked once more after that wait.
   */
  private retryAfter(error: unknown): { index: number; delayMs: number } | null {
    if (!this.parts.empty || !(error instanceof UpstreamError) || !RETRYABLE.has(error.code)) return null;
    const { retry } = this.context;
    if (this.attempts.filter((attempt) => attempt.status !== 'skipped').length >= retry.maxAttempts) return null;
    if (this.targetIndex + 1 < this.plan.targets.length) return { index: this.targetIndex + 1, delayMs: 0 };
    const waitMs = (error.retryAfterSeconds ?? Infinity) * 1000;
    if (error.code !== 'upstream_rate_limited' || this.retriedAfterWait || waitMs > retry.retryAfterMaxMs) return null;
    this.retriedAfterWait = true;
    return { index: this.targetIndex, delayMs: waitMs };
  }

  /** Ends it early and saves what it has; resolves once saved, with false if it had already ended. */
  async stop(cause: StopCause): Promise<boolean> {
    if (this.current !== 'running') return false;
    this.haltUpstream();
    const { code, message } = STOPPED[cause];
    await this.settle({ status: 'aborted', errorCode: code, error: message });
    const { encoder } = this.plan;
    this.end(endedByServer(cause) ? encoder.error(code, ENDED_BY_SERVER[cause], this.id) : encoder.done(this.id, this.wireUsage(), this.elapsedMs(), cause, this.attempts));
    return true;
  }

  private onDelta(delta: ChatDelta): void {
    if (this.halted) return;
    if (delta.type === 'text' || delta.type === 'reasoning') this.append(delta);
    else if (delta.type === 'tool_call') this.appendToolCall(delta);
    else if (delta.type === 'usage') this.usage = reportedUsage(delta);
    else {
      this.finish = delta;
      // Strategies end a reply of calls with TOOL_CALLS_FINISH; any other end (a length limit) cut the open one off.
      if (delta.reason === TOOL_CALLS_FINISH) this.closeToolCall();
      else this.parts.dropOpenToolCall();
    }
  }

  /**
   * A piece of a tool call: counted toward the reply's limit like text (a call cannot be cut, so one that crosses
   * the limit ends the reply, failed, without it), relayed as a piece where the protocol streams them, and
   * announced whole once the next call begins or the reply ends.
   */
  private appendToolCall({ type: _, ...piece }: ToolCallPiece & { type: 'tool_call' }): void {
    if (this.parts.empty) this.context.metrics.timeToFirstToken.observe({ provider: this.labels.provider }, this.elapsedMs() / 1000);
    this.chars += piece.arguments.length + (piece.id?.length ?? 0) + (piece.name?.length ?? 0);
    if (this.chars > this.context.maxReplyChars) {
      this.haltUpstream();
      return this.fail({ code: 'upstream_too_large', message: `The reply grew beyond ${this.context.maxReplyChars} characters` });
    }
    const taken = this.parts.addToolCallPiece(piece, MAX_TOOL_CALLS);
    if (taken === 'too_many' || taken === 'out_of_order') {
      this.haltUpstream();
      const failure =
        taken === 'too_many'
          ? { code: 'upstream_too_large', message: `The reply made more than ${MAX_TOOL_CALLS} tool calls` }
          : { code: 'upstream_error', message: 'The provider sent a piece of a tool call after the next call had begun' };
      return this.fail(failure);
    }
    if (taken.closed) this.announceToolCall(taken.closed, taken.position - 1);
    const events = this.plan.encoder.toolCallDelta?.({ position: taken.position, arguments: piece.arguments, ...taken.opened }) ?? [];
    events.forEach((event) => this.log.append(event, piece.arguments.length));
  }

  private closeToolCall(): void {
    const call = this.parts.closeToolCall();
    if (call) this.announceToolCall(call, this.parts.toolCalls().length - 1);
  }

  private announceToolCall(call: ToolCall, position: number): void {
    const events = this.plan.encoder.toolCall?.(call, position) ?? [];
    events.forEach((event) => this.log.append(event, call.arguments.length));
  }

  private append(delta: ContentDelta): void {
    if (this.parts.empty) this.context.metrics.timeToFirstToken.observe({ provider: this.labels.provider }, this.elapsedMs() / 1000);
    const room = this.context.maxReplyChars - this.chars;
    const size = deltaSize(delta);
    this.chars += size;
    if (size > room) return this.cutOff(delta, room);
    this.keep(delta);
  }

  /** Into the saved parts, and to clients as a `message` or `reasoning` event (provider data only to the parts). */
  private keep(delta: ContentDelta): void {
    const { encoder } = this.plan;
    if (delta.type === 'text') this.parts.addText(delta.text);
    else this.parts.addReasoning(delta);
    const events = delta.type === 'text' ? encoder.delta(delta.text) : encoder.reasoning(delta);
    // The text's weight goes with the last event, the one that carries it. A loop, as in GenerationLog.append.
    for (let index = 0; index < events.length; index++) this.log.append(events[index]!, index === events.length - 1 ? delta.text.length : 0);
  }

  /**
   * A reply that would grow past CHAT_MAX_REPLY_CHARS (its reasoning counted in) ends there, failed: the upstream
   * is cut off and the reply saved as `error`. The delta that crosses the limit is cut exactly at it (one character
   * less rather than split a surrogate pair), so the client, the resume log and the saved row hold the same text
   * of at most the limit. Provider data (a signature) cannot be cut, so a delta carrying it is dropped whole.
   */
  private cutOff(delta: ContentDelta, room: number): void {
    this.haltUpstream();
    const end = room > 0 && isHighSurrogate(delta.text.charCodeAt(room - 1)) ? room - 1 : room;
    if (end > 0 && deltaSize(delta) === delta.text.length) this.keep({ type: delta.type, text: delta.text.slice(0, end) });
    this.fail({ code: 'upstream_too_large', message: `The reply grew beyond ${this.context.maxReplyChars} characters` });
  }

  private onUpstreamError(error: unknown): void {
    this.releaseTurnWrite();
    if (this.halted) return;
    if (!(error instanceof UpstreamError)) Generation.logger.error('Provider stream failed', error instanceof Error ? error.stack : String(error));
    const failure = describeFailure(error);
    this.closeAttempt('failed', failure.code);
    const cooldownMs = cooldownFor(error, this.context.retry);
    if (cooldownMs) this.context.cooldowns.coolDown(this.target.cooldownKey, cooldownMs);
    const next = this.retryAfter(error);
    if (!next) return this.fail(failure);
    this.context.metrics.fallbacks.inc({ provider: this.target.providerId, code: failure.code });
    // Never two requests at once: the failed one has ended (its Observable errored) before the next is made, and
    // the next is made from a timer, never from inside the failed one's error callback.
    this.nextAttempt = setTimeout(() => {
      this.nextAttempt = undefined;
      this.targetIndex = next.index;
      if (!this.halted) this.attempt();
    }, next.delayMs);
  }

  private onUpstreamComplete(): void {
    this.releaseTurnWrite();
    if (this.halted) return;
    this.closeAttempt('ok');
    this.closeToolCall();
    this.complete();
  }

  /** The turn's rows could not be written: nothing can be saved, so the reply ends now. */
  private onTurnUnsaved(): void {
    if (this.current !== 'running') return;
    this.haltUpstream();
    this.fail({ code: 'persistence_error', message: 'The conversation could not be saved' });
  }

  private haltUpstream(): void {
    this.halted = true;
    clearTimeout(this.nextAttempt);
    this.upstream.abort();
    this.subscription?.unsubscribe();
    this.releaseTurnWrite();
  }

  private fail(failure: Failure): void {
    void this.settle({ status: 'error', errorCode: failure.code, error: failure.message }).then((outcome) => {
      if (outcome) this.end(this.plan.encoder.error(failure.code, failure.message, this.id));
    });
  }

  private complete(): void {
    void this.settle({ status: 'complete' }).then((outcome) => {
      const { encoder } = this.plan;
      // persistence_error only when the reply will not be saved; while a retry may still save it, the client is
      // told that, and the session's messages show the outcome (complete once saved, aborted by the sweep if not).
      if (outcome === 'failed') return this.end(encoder.error('persistence_error', 'The reply was generated but could not be saved', this.id));
      if (outcome === 'retrying') {
        const message = "The reply was generated but not saved yet; it is being saved as soon as the database is back: read the session's messages for it";
        return this.end(encoder.error('persistence_delayed', message, this.id));
      }
      // A reply that made tool calls waits for their results (POST .../tool-results), whatever the provider called its end.
      const finishReason = this.parts.toolCalls().length > 0 ? 'tool_calls' : undefined;
      if (outcome === 'saved') this.end(encoder.done(this.id, this.wireUsage(), this.elapsedMs(), undefined, this.attempts, finishReason));
    });
  }

  /** Saves the reply once, whatever ends it; null for a second call (a stop racing completion), which does nothing. */
  private async settle(reply: Settlement): Promise<SaveOutcome | null> {
    if (this.current !== 'running') return null;
    this.current = reply.status;
    this.closeAttempt(reply.status === 'complete' ? 'ok' : reply.status === 'aborted' ? 'aborted' : 'failed', reply.errorCode ?? undefined);
    this.record(reply);
    const content = this.parts.text();
    try {
      const usage = await this.account(reply, content);
      return await this.save(reply, content, usage);
    } finally {
      this.span.end();
      this.context.settled(this);
    }
  }

  /**
   * Finishes the reply's row with its usage record, in one statement (ReplySaver). Without a row to finish, the
   * record is written alone, so every reply is counted: with others soon after when the reply is not stored, now
   * when the turn's rows were never written (`failed`).
   */
  private async save(reply: Settlement, content: string, usage: NewUsageRecord): Promise<SaveOutcome> {
    if (!this.plan.persist) {
      this.context.accounting.recordSoon(usage);
      return 'saved';
    }
    if (await this.turnWritten) return this.finishRow(reply, content, usage);
    await this.context.accounting.record(usage);
    return 'failed';
  }

  private finishRow(reply: Settlement, content: string, usage: NewUsageRecord): Promise<SaveOutcome> {
    return this.context.saver.finishReply(
      this.id,
      {
        ...reply,
        content,
        parts: this.parts.saved(),
        responseTimeMs: this.elapsedMs(),
        promptTokens: this.usage?.promptTokens ?? null,
        completionTokens: this.usage?.completionTokens ?? null,
        // What answered (or was asked last), which an alias or a fallback makes other than what the turn asked for.
        provider: this.target.providerId,
        model: this.target.request.model,
        attempts: this.attempts,
      },
      usage,
    );
  }

  /** What the reply used and cost, kept beside (not inside) its message: a reply that is not stored is counted too. */
  private async account(reply: Settlement, content: string): Promise<NewUsageRecord> {
    // Priced as what answered (or was asked last): an alias or a fallback makes it other than what the turn asked for.
    const { providerId, request } = this.target;
    const { charge, record } = await this.context.accounting.charge({
      userId: this.userId,
      messageId: this.plan.persist ? this.id : null,
      provider: providerId,
      model: request.model,
      status: reply.status,
      startedAt: this.startedAtDate,
      reported: this.usage,
      prompt: request.messages,
      text: content,
    });
    this.settledCharge = charge;
    return record;
  }

  /** The counts the protocols' final events carry: the reply's usage and cost live in its usage record. */
  private wireUsage(): Usage | null {
    if (!this.usage) return null;
    const { promptTokens, completionTokens, reasoningTokens } = this.usage;
    // Reasoning tokens where the model reasoned: a provider that reports zero for every reply tells nothing.
    return { promptTokens, completionTokens, ...(reasoningTokens ? { reasoningTokens } : {}) };
  }

  private end(events: MessageEvent[]): void {
    events.forEach((event) => this.log.append(event));
    this.log.end();
  }

  private labelsOf(target: RouteTarget): { provider: ProviderId; model: string } {
    return { provider: target.providerId, model: modelLabel(target.providerId, target.request.model) };
  }

  private elapsedMs(): number {
    return Math.round(performance.now() - this.startedAt);
  }

  /**
   * The GenAI conventions' attributes: who was asked for what, in which conversation. Content (the prompt here,
   * the reply when settled) only when OTEL_GENAI_CAPTURE_CONTENT is on; never the key or the base URL.
   */
  private startSpan(): Span {
    const { turn } = this.plan;
    const { request } = this.target;
    const span = chatTracer.startSpan('generation', {
      attributes: {
        [GEN_AI.operation]: 'chat',
        [GEN_AI.provider]: turn.provider,
        [GEN_AI.requestModel]: request.model,
        [GEN_AI.conversationId]: turn.sessionId,
        'chat.message.id': turn.replyId,
        ...(request.temperature !== undefined && { [GEN_AI.temperature]: request.temperature }),
        ...(request.maxTokens !== undefined && { [GEN_AI.maxTokens]: request.maxTokens }),
      },
    });
    if (this.context.captureContent && span.isRecording()) {
      const messages = request.messages.map(({ role, content }) => ({ role, parts: [{ type: 'text', content }] }));
      span.setAttribute(GEN_AI.inputMessages, JSON.stringify(messages));
    }
    return span;
  }

  /** Once per reply, like the metrics: the relay loop stays free of span updates. */
  private recordOnSpan({ status, errorCode, error }: Settlement): void {
    const { span, usage, finish } = this;
    if (!span.isRecording()) return;
    span.setAttribute('chat.reply.status', status);
    if (usage) span.setAttributes({ [GEN_AI.inputTokens]: usage.promptTokens, [GEN_AI.outputTokens]: usage.completionTokens });
    if (finish) span.setAttribute(GEN_AI.finishReasons, [finish.reason]);
    if (finish?.model) span.setAttribute(GEN_AI.responseModel, finish.model);
    if (this.attempts.length > 1) span.setAttributes({ [GEN_AI.provider]: this.target.providerId, 'chat.route.attempts': this.attempts.length });
    if (this.context.captureContent) {
      const parts = this.parts.all().map((part) => ({ type: part.type, content: 'text' in part ? part.text : part }));
      const output = [{ role: 'assistant', parts, ...(finish && { finish_reason: finish.reason }) }];
      span.setAttribute(GEN_AI.outputMessages, JSON.stringify(output));
    }
    // Our code and fixed message (what the user is told), never a provider's text.
    if (status === 'error') {
      span.setAttribute(ERROR_TYPE, errorCode ?? 'internal_error');
      span.setStatus({ code: SpanStatusCode.ERROR, ...(error && { message: error }) });
    } else if (errorCode) span.setAttribute('chat.reply.stop_reason', errorCode);
  }

  /** Counted once per reply rather than per delta, to keep the relay loop free of metric updates. */
  private record(settlement: Settlement): void {
    this.recordOnSpan(settlement);
    const { status, errorCode } = settlement;
    const { metrics } = this.context;
    const { labels, usage } = this;
    metrics.activeStreams.dec();
    metrics.generations.inc({ provider: labels.provider, status });
    metrics.deltas.inc(labels, this.parts.deltas);
    if (usage) {
      metrics.tokens.inc({ ...labels, kind: 'prompt' }, usage.promptTokens);
      metrics.tokens.inc({ ...labels, kind: 'completion' }, usage.completionTokens);
    }
    if (status === 'error' && errorCode?.startsWith('upstream_')) metrics.upstreamErrors.inc({ provider: labels.provider, code: errorCode });
  }
}
