import type { Request, Response } from 'express';
import { mapUsageReport, type UsageReportDto } from './dto/usage.dto.js';
import { reportCsv, type UsageReport } from './usage-report.service.js';

/** JSON, or CSV when the client asks for it (`Accept: text/csv`), as a file named after the range. */
export function sendUsageReport(request: Request, response: Response, report: UsageReport): UsageReportDto | string {
  if (request.accepts(['application/json', 'text/csv']) !== 'text/csv') return mapUsageReport(report);
  const day = (date: Date) => date.toISOString().slice(0, 10);
  response.type('text/csv');
  response.setHeader('Content-Disposition', `attachment; filename="usage-${report.groupBy}-${day(report.from)}-${day(report.to)}.csv"`);
  return reportCsv(report);
}
