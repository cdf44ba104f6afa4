import { Injectable } from '@nestjs/common';
import { stringify } from 'csv-stringify/sync';
import { AppError } from '@app/common';
import { type UsageGroup, type UsageRange, UsageRecordsRepository, type UsageTotals } from '@app/persistence';
import { UsageRecordBatcher } from './usage-record.batcher.js';

/** The longest range a report covers: a year, leap day included. */
export const MAX_REPORT_DAYS = 366;
/** Rows a report returns at most (groups × currencies); `truncated` says when there were more. */
export const MAX_REPORT_ROWS = 1_000;
const DAY_MS = 24 * 3600 * 1000;
/** Dates outside these years are typing errors, not report ranges. */
const EARLIEST = Date.UTC(2000, 0, 1);
const LATEST = Date.UTC(2100, 0, 1);

export interface UsageReport extends UsageRange {
  groupBy: UsageGroup;
  rows: UsageTotals[];
  truncated: boolean;
}

/**
 * Sums of what replies used and cost over a range, per day, model, provider or user: the caller's own, or everyone's
 * for admins. The records this process has yet to write are written first, so a report includes every reply this
 * process has ended (other replicas' last USAGE_WRITE_DELAY_MS may be missing).
 */
@Injectable()
export class UsageReportService {
  constructor(
    private readonly records: UsageRecordsRepository,
    private readonly batcher: UsageRecordBatcher,
  ) {}

  async ownReport(userId: string, from: string | undefined, to: string | undefined, groupBy: Exclude<UsageGroup, 'user'>): Promise<UsageReport> {
    const range = reportRange(from, to);
    await this.batcher.flush();
    return this.report(range, groupBy, await this.records.totalsOf(userId, range, groupBy, MAX_REPORT_ROWS));
  }

  async everyonesReport(from: string | undefined, to: string | undefined, groupBy: UsageGroup, userId?: string): Promise<UsageReport> {
    const range = reportRange(from, to);
    await this.batcher.flush();
    return this.report(range, groupBy, await this.records.totalsOfAll(range, groupBy, MAX_REPORT_ROWS, userId));
  }

  private report(range: UsageRange, groupBy: UsageGroup, rows: UsageTotals[]): UsageReport {
    return { ...range, groupBy, rows: rows.slice(0, MAX_REPORT_ROWS), truncated: rows.length > MAX_REPORT_ROWS };
  }
}

/** `[from, to)`: by default the current calendar month (UTC); a day (`2026-12-01`) means its midnight, UTC. */
export function reportRange(from: string | undefined, to: string | undefined, now = new Date()): UsageRange {
  const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const start = from === undefined ? monthStart : parseDate(from, 'from');
  const end = to === undefined ? (from === undefined ? new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)) : new Date(Math.min(start.getTime() + MAX_REPORT_DAYS * DAY_MS, now.getTime() + DAY_MS))) : parseDate(to, 'to');
  if (end.getTime() <= start.getTime()) throw new AppError('VALIDATION_FAILED', 'to must be after from');
  if (end.getTime() - start.getTime() > MAX_REPORT_DAYS * DAY_MS) throw new AppError('VALIDATION_FAILED', `A report covers at most ${MAX_REPORT_DAYS} days`);
  return { from: start, to: end };
}

function parseDate(text: string, name: string): Date {
  // A bare day is UTC midnight (as Date reads it); a date-time without an offset would be read in the server's zone.
  const date = new Date(text);
  const time = date.getTime();
  if (Number.isNaN(time) || time < EARLIEST || time >= LATEST || !isCalendarDay(text) || (text.includes('T') && !/(Z|[+-]\d{2}:?\d{2})$/i.test(text))) {
    throw new AppError('VALIDATION_FAILED', `${name} must be an ISO 8601 date (2026-12-01) or date-time with a zone (2026-12-01T00:00:00Z) between 2000 and 2100`);
  }
  return date;
}

/** Whether the text's `YYYY-MM-DD` is a day of the calendar: Date would roll 2026-02-30 over into March. */
function isCalendarDay(text: string): boolean {
  const [year, month, day] = text.slice(0, 10).split('-').map(Number) as [number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** Spreadsheets run a cell that starts with one of these as a formula: such text gets a leading apostrophe. */
const FORMULA_START = /^[=+\-@\t\r]/;
const safeCell = (text: string | null) => (text !== null && FORMULA_START.test(text) ? `'${text}` : (text ?? ''));

/** The report as CSV, one row per group and currency, with a header row. */
export function reportCsv(report: UsageReport): string {
  const byUser = report.groupBy === 'user';
  const header = [report.groupBy, ...(byUser ? ['email'] : []), 'currency', 'cost', 'replies', 'estimated_replies', 'prompt_tokens', 'completion_tokens', 'cached_prompt_tokens', 'reasoning_tokens'];
  const rows = report.rows.map((row) => [
    safeCell(row.key),
    ...(byUser ? [safeCell(row.email)] : []),
    safeCell(row.currency),
    row.cost ?? '',
    row.replies,
    row.estimatedReplies,
    row.promptTokens,
    row.completionTokens,
    row.cachedPromptTokens,
    row.reasoningTokens,
  ]);
  return stringify([header, ...rows]);
}
