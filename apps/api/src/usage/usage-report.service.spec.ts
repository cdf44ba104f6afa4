import { AppError } from '@app/common';
import type { UsageTotals } from '@app/persistence';
import { reportCsv, reportRange, type UsageReport } from './usage-report.service.js';

const NOW = new Date('2026-12-15T10:00:00Z');

describe('reportRange', () => {
  it('is the current calendar month (UTC) by default', () => {
    expect(reportRange(undefined, undefined, NOW)).toEqual({ from: new Date('2026-12-01T00:00:00Z'), to: new Date('2027-01-01T00:00:00Z') });
  });

  it('reads days as UTC midnight and date-times with their zone', () => {
    expect(reportRange('2026-11-01', '2026-11-02T12:00:00+02:00', NOW)).toEqual({ from: new Date('2026-11-01T00:00:00Z'), to: new Date('2026-11-02T10:00:00Z') });
  });

  it('runs from `from` to tomorrow when only `from` is given, a year at most', () => {
    expect(reportRange('2026-12-01', undefined, NOW).to).toEqual(new Date('2026-12-16T10:00:00Z'));
    expect(reportRange('2025-01-01', undefined, NOW).to).toEqual(new Date('2026-01-02T00:00:00Z'));
  });

  it.each([
    ['2026-02-30', undefined],
    ['2026-13-01', undefined],
    ['2026-12-01T00:00:00', undefined],
    ['1999-12-31', '2000-01-02'],
    ['2026-12-02', '2026-12-01'],
    ['2026-12-01', '2026-12-01'],
    ['2025-01-01', '2026-01-03'],
  ])('refuses from=%s to=%s', (from, to) => {
    expect(() => reportRange(from, to, NOW)).toThrow(AppError);
  });
});

describe('reportCsv', () => {
  const row: UsageTotals = { key: 'u1', email: '=HYPERLINK("http://evil")@example.com', currency: 'USD', replies: 2, estimatedReplies: 1, promptTokens: 10, completionTokens: 5, cachedPromptTokens: 0, reasoningTokens: 0, cost: '0.000020000' };
  const report = (groupBy: UsageReport['groupBy'], rows = [row]): UsageReport => ({ from: NOW, to: NOW, groupBy, rows, truncated: false });

  it('writes a header and a row per group, quoting what needs it', () => {
    expect(reportCsv(report('user')).split('\n')).toEqual([
      'user,email,currency,cost,replies,estimated_replies,prompt_tokens,completion_tokens,cached_prompt_tokens,reasoning_tokens',
      `u1,"'=HYPERLINK(""http://evil"")@example.com",USD,0.000020000,2,1,10,5,0,0`,
      '',
    ]);
  });

  it.each(['=1+1', '+1', '-1', '@SUM(A1)', '\tx', '\rx'])('defuses a cell starting like a formula: %j', (text) => {
    const [, line] = reportCsv(report('model', [{ ...row, key: text }])).split('\n');
    expect(line!.replace(/^"/, '').startsWith(`'${text[0]}`)).toBe(true);
  });

  it('leaves the cost and currency of unpriced replies empty', () => {
    expect(reportCsv(report('provider', [{ ...row, key: 'ollama', currency: null, cost: null }])).split('\n')[1]).toBe('ollama,,,2,1,10,5,0,0');
  });
});
