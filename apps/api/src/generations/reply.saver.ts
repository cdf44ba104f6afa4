import { Injectable, Logger } from '@nestjs/common';
import { refusedByDatabase } from '@app/common';
import { ChatTurnsRepository, type FinishedReply, MessagesRepository, type NewTurn, type NewUsageRecord } from '@app/persistence';
import { ReplyAccounting } from '../usage/reply-accounting.service.js';

/**
 * What became of a reply's final write: saved; failed now but being retried in the background (the database may
 * come back); or never to be saved (the turn's rows were not written, so there is no row to finish, or the
 * database refused the row).
 */
export type SaveOutcome = 'saved' | 'retrying' | 'failed';

/** About a minute in all: long enough for a database failover, short enough to end before the sweep. */
const SAVE_RETRY_DELAYS_MS = [250, 500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000];

/**
 * A generation's two writes: the turn's rows when it starts; when it ends, the reply's row with its usage record
 * (one statement, retried through an outage).
 */
@Injectable()
export class ReplySaver {
  private readonly logger = new Logger(ReplySaver.name);

  constructor(
    private readonly messages: MessagesRepository,
    private readonly turns: ChatTurnsRepository,
    private readonly accounting: ReplyAccounting,
  ) {}

  /** The session (if new), the question and the reply's `streaming` row; false when they could not be written. */
  async writeTurn(turn: NewTurn): Promise<boolean> {
    try {
      await this.turns.beginTurn(turn);
      return true;
    } catch (error) {
      this.logger.error(`Could not write turn ${turn.replyId}`, error instanceof Error ? error.stack : String(error));
      return false;
    }
  }

  /**
   * Finishes the reply's row and records its usage. A failed write is retried in the background (`retrying`; the
   * client is told so at once), so a database outage leaves no reply `streaming` and its usage is counted once it
   * is back. A statement the database refuses is split: the row alone, then the usage alone.
   */
  async finishReply(replyId: string, row: FinishedReply, usage: NewUsageRecord): Promise<SaveOutcome> {
    try {
      await this.messages.finishReply(replyId, row, usage);
      return 'saved';
    } catch (error) {
      if (refusedByDatabase(error)) return this.saveRefused(replyId, row, usage, error);
      this.logger.error(`Could not save reply ${replyId}; retrying in the background`, error instanceof Error ? error.stack : String(error));
      void this.retrySave(replyId, row, usage);
      return 'retrying';
    }
  }

  /**
   * Either half of the statement may be what the database refused. The row is written alone, or if refused again
   * marked failed without its text or parts (rather than retried in vain and left `streaming`); either way the
   * usage is then recorded alone, so a usage record the database refuses does not cost the user the reply.
   */
  private async saveRefused(replyId: string, row: FinishedReply, usage: NewUsageRecord, error: unknown): Promise<SaveOutcome> {
    let outcome: SaveOutcome = 'saved';
    try {
      await this.messages.finishReply(replyId, row);
    } catch {
      this.logger.error(`The database refused reply ${replyId}; marking it failed`, error instanceof Error ? error.stack : String(error));
      const marker: FinishedReply = { ...row, content: '', parts: null, status: 'error', errorCode: 'persistence_error', error: 'The reply was generated but could not be saved' };
      // If even this fails, the stale-reply sweep marks the reply aborted.
      await this.messages.finishReply(replyId, marker).catch(() => undefined);
      outcome = 'failed';
    }
    await this.accounting.record(usage);
    return outcome;
  }

  private async retrySave(replyId: string, row: FinishedReply, usage: NewUsageRecord): Promise<void> {
    for (const delayMs of SAVE_RETRY_DELAYS_MS) {
      await new Promise((resolve) => setTimeout(resolve, delayMs).unref());
      try {
        await this.messages.finishReply(replyId, row, usage);
        this.logger.warn(`Saved reply ${replyId} after the database came back`);
        return;
      } catch {
        // still down: the next, longer wait follows
      }
    }
    this.logger.error({ usage }, `Gave up saving reply ${replyId} and its usage; the stale-reply sweep will mark it aborted`);
  }
}
