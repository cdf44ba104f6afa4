import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { chatConfig, refusedByDatabase } from '@app/common';
import { MAX_USAGE_RECORDS_PER_STATEMENT, type NewUsageRecord, UsageRecordsRepository } from '@app/persistence';

/** Records one statement writes; far under what PostgreSQL allows, so that a statement stays small. */
const RECORDS_PER_STATEMENT = Math.min(500, MAX_USAGE_RECORDS_PER_STATEMENT);
/** Records waiting while the database does not take them (down, or slower than the replies): memory stays bounded. */
export const MAX_WAITING_RECORDS = 20 * RECORDS_PER_STATEMENT;

/**
 * The usage records of replies that are not stored (`/v1` with `store: false`), written together: one statement
 * for the records of USAGE_WRITE_DELAY_MS (at most RECORDS_PER_STATEMENT), where each reply wrote its own and
 * waited for it before its last event. Under load that statement was most of such a reply's database work. A
 * record is written at most USAGE_WRITE_DELAY_MS after its reply ended, before the process exits on shutdown,
 * and before a usage report of this process is read; a process killed outright loses the records of that delay.
 * The records of stored replies are written with their reply's row (ReplySaver), as before.
 */
@Injectable()
export class UsageRecordBatcher implements OnApplicationShutdown {
  private readonly logger = new Logger(UsageRecordBatcher.name);
  private waiting: NewUsageRecord[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** The write under way (settled when none is); writes run one at a time. */
  private current: Promise<void> = Promise.resolve();
  /** The write that follows it, not begun yet: it takes every record waiting when it begins. */
  private next: Promise<void> | undefined;

  constructor(
    private readonly records: UsageRecordsRepository,
    @Inject(chatConfig.KEY) private readonly config: ConfigType<typeof chatConfig>,
  ) {}

  add(record: NewUsageRecord): void {
    if (this.waiting.length >= MAX_WAITING_RECORDS) {
      this.logger.error({ usage: record }, 'Could not record the usage of a reply: the database has not taken the earlier ones yet');
      return;
    }
    this.waiting.push(record);
    if (this.waiting.length >= RECORDS_PER_STATEMENT) void this.flush();
    // Unreferenced: shutdown flushes what waits, so the timer need not hold the process open.
    else this.timer ??= setTimeout(() => void this.flush(), this.config.usageWriteDelayMs).unref();
  }

  /** Resolves once every record added before it is written (or, if the database failed it, logged as lost). */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.next ??= this.current.then(() => {
      this.current = this.next!;
      this.next = undefined;
      return this.writeWaiting();
    });
    return this.next;
  }

  onApplicationShutdown(): Promise<void> {
    return this.flush();
  }

  private async writeWaiting(): Promise<void> {
    while (this.waiting.length > 0) await this.write(this.waiting.splice(0, RECORDS_PER_STATEMENT));
  }

  private async write(batch: NewUsageRecord[]): Promise<void> {
    try {
      await this.records.insert(...batch);
    } catch (error) {
      // One record the database refuses must not cost the others theirs: each is then written alone.
      if (batch.length > 1 && refusedByDatabase(error)) {
        for (const record of batch) await this.write([record]);
        return;
      }
      this.logger.error({ err: error, usage: batch }, `Could not record the usage of ${batch.length} ${batch.length === 1 ? 'reply' : 'replies'}`);
    }
  }
}
