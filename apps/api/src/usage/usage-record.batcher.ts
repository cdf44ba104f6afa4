import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { chatConfig, refusedByDatabase } from '@app/common';
import { type NewUsageRecord, UsageRecordsRepository } from '@app/persistence';

/** Records one statement writes at most, so that a statement stays small. */
const RECORDS_PER_STATEMENT = 500;
/** Records waiting while the database does not take them (down, or slower than the replies): memory stays bounded. */
export const MAX_WAITING_RECORDS = 20 * RECORDS_PER_STATEMENT;

const replies = (count: number) => `${count} ${count === 1 ? 'reply' : 'replies'}`;

/**
 * The usage records of replies that are not stored (`/v1` with `store: false`), written together: the records of
 * about USAGE_WRITE_DELAY_MS in one statement (at most RECORDS_PER_STATEMENT), where each reply wrote its own and
 * waited for it before its last event. Under load that statement was most of such a reply's database work. Each
 * record keeps the time its reply ended. A record is written once the delay has passed and the write before it is
 * done (later while the database is slow or down), before the process exits on shutdown, and before a usage report
 * of this process is read; a process killed outright loses the records still waiting. The records of stored replies
 * are written with their reply's row (ReplySaver), as before.
 */
@Injectable()
export class UsageRecordBatcher implements OnApplicationShutdown {
  private readonly logger = new Logger(UsageRecordBatcher.name);
  private waiting: NewUsageRecord[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** The write under way (settled when none is); writes run one at a time. */
  private current: Promise<void> = Promise.resolve();
  /** The write that follows it, not begun yet: it takes the records waiting when it begins. */
  private next: Promise<void> | undefined;
  /** Records dropped while too many waited, logged together rather than one line each. */
  private dropped: NewUsageRecord[] = [];

  constructor(
    private readonly records: UsageRecordsRepository,
    @Inject(chatConfig.KEY) private readonly config: ConfigType<typeof chatConfig>,
  ) {}

  add(record: NewUsageRecord): void {
    if (this.waiting.length >= MAX_WAITING_RECORDS) {
      this.dropped.push(record);
      if (this.dropped.length >= RECORDS_PER_STATEMENT) this.logDropped();
      return;
    }
    this.waiting.push(record);
    if (this.waiting.length >= RECORDS_PER_STATEMENT) void this.flush();
    // Unreferenced: shutdown flushes what waits, so the timer need not hold the process open.
    else this.timer ??= setTimeout(() => void this.flush(), this.config.usageWriteDelayMs).unref();
  }

  /**
   * Resolves once every record added before it is written (or, if the database failed it, logged as lost); records
   * added meanwhile are left to the next write, so a flush ends however many keep coming. Never rejects.
   */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const begin = () => {
      this.current = this.next!;
      this.next = undefined;
      return this.writeWaiting();
    };
    this.next ??= this.current.then(begin, begin);
    return this.next;
  }

  onApplicationShutdown(): Promise<void> {
    return this.flush();
  }

  private async writeWaiting(): Promise<void> {
    const taken = this.waiting;
    this.waiting = [];
    for (let from = 0; from < taken.length; from += RECORDS_PER_STATEMENT) await this.write(taken.slice(from, from + RECORDS_PER_STATEMENT));
    this.logDropped();
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
      this.logger.error({ err: error, usage: batch }, `Could not record the usage of ${replies(batch.length)}`);
    }
  }

  private logDropped(): void {
    if (this.dropped.length === 0) return;
    const usage = this.dropped;
    this.dropped = [];
    this.logger.error({ usage }, `Could not record the usage of ${replies(usage.length)}: the database had not taken the earlier ones`);
  }
}
