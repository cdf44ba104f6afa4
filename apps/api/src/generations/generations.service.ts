import { Inject, Injectable, type MessageEvent } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ConfigType } from '@nestjs/config';
import type { Observable } from 'rxjs';
import { AppError, chatConfig, telemetryConfig, upstreamConfig } from '@app/common';
import { MessagesRepository } from '@app/persistence';
import { BudgetReservations } from '../budgets/budget-reservations.service.js';
import { MetricsService } from '../observability/metrics.service.js';
import { ReplyAccounting } from '../usage/reply-accounting.service.js';
import { Generation, type GenerationPlan } from './generation.js';
import { GenerationRegistry } from './generation.registry.js';
import type { EventPosition } from './reply-encoder.js';
import { ReplySaver } from './reply.saver.js';
import { RouteCooldowns } from './route-cooldowns.js';
import { GenerationStore } from './stores/generation.store.js';

/** Re-reads of a session whose turn another replica is writing: the first soon, then less and less often. */
const FIRST_REREAD_MS = 20;
const LONGEST_REREAD_MS = 500;

/**
 * Starts, follows and stops generations, for every protocol alike (the chat stream, /v1, NATS): the caller has
 * checked who asks and built the plan; this owns the rest. Sessions are held through the store, so that at most
 * one reply runs per session across replicas.
 */
@Injectable()
export class GenerationsService {
  constructor(
    private readonly saver: ReplySaver,
    private readonly accounting: ReplyAccounting,
    private readonly messages: MessagesRepository,
    private readonly metrics: MetricsService,
    private readonly registry: GenerationRegistry,
    private readonly store: GenerationStore,
    private readonly cooldowns: RouteCooldowns,
    private readonly budgets: BudgetReservations,
    @Inject(chatConfig.KEY) private readonly config: ConfigType<typeof chatConfig>,
    @Inject(telemetryConfig.KEY) private readonly telemetry: ConfigType<typeof telemetryConfig>,
    @Inject(upstreamConfig.KEY) private readonly upstream: ConfigType<typeof upstreamConfig>,
  ) {}

  /** False once the server is shutting down. */
  get accepting(): boolean {
    return this.registry.accepting;
  }

  /** Generations this user has running in this process. */
  runningFor(userId: string): number {
    return this.registry.runningFor(userId);
  }

  /** Makes `generationId`, a reply of `userId`, the session's running generation; false while another one runs there. */
  claim(sessionId: string, generationId: string, userId: string): Promise<boolean> {
    return this.store.claim(sessionId, generationId, userId);
  }

  /**
   * Which of these sessions have a reply running on any replica, in one store look-up for the whole page; null
   * when the store cannot say right now (Redis down).
   */
  async generatingAmong(sessionIds: readonly string[]): Promise<ReadonlySet<string> | null> {
    const shared = await this.store.runningAmong(sessionIds);
    if (!shared) return null;
    // Turns that are not shared through the store (/v1) are known to the process that runs them only.
    return new Set([...shared, ...sessionIds.filter((sessionId) => this.registry.runsSession(sessionId))]);
  }

  /**
   * The caller's read of a session (`read`: null when the user has no such session), made once a turn being
   * written there is. A client that reads the first event of a new session and at once uses its id (to follow or
   * stop the reply, for a stream token, to read its messages) must find the session, though its rows are written
   * only once the upstream request has left: a reply this process runs for the user is waited for; while another
   * replica is about to write one (the store says so until it has, or until GENERATION_LEASE_MS after its claim if
   * it dies first), the session is read again at growing intervals. Anyone else is answered after one look-up in
   * the store and a second read: the mark goes once the turn is written, which may be after the first read.
   */
  async readRecorded<T>(userId: string, sessionId: string, read: () => Promise<T | null>): Promise<T | null> {
    await this.registry.runningIn(userId, sessionId)?.recorded;
    for (let pause = FIRST_REREAD_MS; ; pause = Math.min(pause * 2, LONGEST_REREAD_MS)) {
      const found = await read();
      if (found !== null) return found;
      // No mark now: the turn was never marked, or it was written (and the mark deleted) since the read above.
      if (!(await this.store.writesTurnElsewhere(userId, sessionId))) return read();
      await sleep(pause);
    }
  }

  /**
   * Starts the reply now; refused (409) while another reply of the same session runs, and (402) when its worst
   * case does not fit the user's budget. The budget's hold is settled exactly once: with the reply's cost when it
   * ends, or with nothing when it never starts.
   */
  async start(plan: GenerationPlan): Promise<Generation> {
    const { replyId, sessionId, userId } = plan.turn;
    const { messages, maxTokens, reasoning, tools } = plan.targets[0]!.request;
    const models = plan.targets.map((target) => ({ provider: target.providerId, model: target.request.model }));
    const hold = await this.budgets.reserve({ userId, role: plan.role, replyId, models, messages, maxTokens, reasoning, tools });
    try {
      if (plan.shared && !(await this.claim(sessionId, replyId, userId))) {
        throw new AppError('GENERATION_IN_PROGRESS', 'A reply is already being generated in this session: wait for it, or stop it first');
      }
      // A budgeted reply without a maximum of its own is capped at what was reserved for it.
      const { outputCap } = hold;
      const capped = outputCap === undefined ? plan : { ...plan, targets: plan.targets.map((target) => ({ ...target, request: { ...target.request, maxTokens: outputCap } })) };
      const generation = new Generation(capped, {
        saver: this.saver,
        accounting: this.accounting,
        metrics: this.metrics,
        maxReplyChars: this.config.maxReplyChars,
        captureContent: this.telemetry.captureContent,
        settled: (settled) => {
          this.registry.remove(settled);
          void hold.settle(settled.charge);
        },
        retry: this.upstream,
        cooldowns: this.cooldowns,
      });
      if (plan.shared) {
        this.store.publish(generation.log);
        void generation.recorded.then(() => this.store.turnWritten(sessionId, userId));
      }
      this.registry.add(generation);
      generation.run();
      return generation;
    } catch (error) {
      void hold.settle(null);
      throw error;
    }
  }

  /**
   * The events of the session's running or latest generation, after `after` when it names that generation (all
   * of them otherwise), live until it ends; null when there is nothing to send. Following never stops it.
   */
  follow(sessionId: string, after?: EventPosition): Promise<Observable<MessageEvent> | null> {
    return this.store.follow(sessionId, after);
  }

  /**
   * Stops the session's running generation wherever it runs; resolves once the partial reply is saved. A reply
   * whose replica died is marked `aborted` (as the stale-reply sweep would) and its session freed at once.
   * The caller has checked that the session is the user's.
   */
  async stop(userId: string, sessionId: string): Promise<boolean> {
    if (await this.registry.stopSession(sessionId, 'user')) return true;
    return this.store.stopElsewhere(sessionId, (replyId) => this.messages.abortInterruptedReply(userId, sessionId, replyId));
  }

  /** Ends the user's generations running in this process with `session_revoked`, their partial replies saved. */
  stopUser(userId: string): Promise<number> {
    return this.registry.stopUser(userId, 'session_revoked');
  }

  /** For shutdown: lets the running generations finish within `graceMs`, then stops and saves the rest. */
  drain(graceMs: number): Promise<{ finished: number; stopped: number }> {
    return this.registry.drain(graceMs);
  }
}
