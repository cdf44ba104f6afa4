import type { MessageEvent } from '@nestjs/common';
import type { UpstreamConfig } from '@app/common';
import type { Observable } from 'rxjs';
import type { EventPosition } from '../reply-encoder.js';
import type { GenerationLog } from '../generation-log.js';

/**
 * Where the generations of chat sessions can be found by any request: the one running in a session (at most
 * one), the events of the latest one for clients that reconnect, and the way to stop it. In process memory by
 * default; in Redis when REDIS_URL is set, so every replica sees every generation.
 */
export abstract class GenerationStore {
  /**
   * Makes `generationId`, a reply of `userId`, the session's running generation; false when another one is still
   * running. Until `turnWritten`, the store also tells other processes that the reply's turn is on its way.
   */
  abstract claim(sessionId: string, generationId: string, userId: string): Promise<boolean>;

  /** The turn of this process's generation in the session is written, or never will be: nothing need wait for it. */
  abstract turnWritten(sessionId: string, userId: string): void;

  /**
   * Whether another process is about to write a turn of this user in the session (its rows do not exist yet); false
   * when the store cannot say (Redis down).
   */
  abstract writesTurnElsewhere(userId: string, sessionId: string): Promise<boolean>;

  /**
   * Which of these sessions have a generation running, in one look-up whatever their number; null when the store
   * cannot say right now (Redis down), so that a listing can still be served from what the database knows.
   */
  abstract runningAmong(sessionIds: readonly string[]): Promise<ReadonlySet<string> | null>;

  /** Shares a claimed generation's events while it runs and for the retention time after; releases the claim when it ends. */
  abstract publish(log: GenerationLog): void;

  /**
   * The events of the session's running or latest generation, after `after` when it names that generation
   * (all of them otherwise), live until it ends; null when there is nothing to send.
   */
  abstract follow(sessionId: string, after?: EventPosition): Promise<Observable<MessageEvent> | null>;

  /**
   * Stops the session's generation when another process runs it; true once stopped, false when none was running.
   * When the process that ran it is gone, `abandon` marks its reply, then the session is released.
   */
  abstract stopElsewhere(sessionId: string, abandon: AbandonGeneration): Promise<boolean>;
}

/** Marks the reply of a generation whose process is gone, so that nothing waits for it any more; false if it had ended. */
export type AbandonGeneration = (generationId: string) => Promise<boolean>;

export interface GenerationStoreSettings {
  /** How long a finished generation stays readable. */
  retentionMs: number;
  /** The most finished generations' events kept in this process, by `GenerationLog.weight` (the memory store). */
  retentionMaxChars: number;
  /** The longest a generation can hold its session: it cannot outlive the upstream's total timeout and its save. */
  maxRunMs: number;
  /** How long a session stays held by a generation whose process stopped renewing it (crashed, killed). */
  leaseMs: number;
}

/** Beyond the upstream's total timeout: the time a reply may take to be saved after its generation ended. */
const SAVE_GRACE_MS = 60_000;

/** The longest a generation can run, saved: after this, a reply still `streaming` has lost its generation. */
export const longestGenerationMs = (upstream: UpstreamConfig) => upstream.totalTimeoutMs + SAVE_GRACE_MS;
