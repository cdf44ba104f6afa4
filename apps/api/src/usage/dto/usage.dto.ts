import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsUUID, Matches } from 'class-validator';
import { USAGE_GROUPS, type UsageGroup, type UsageTotals } from '@app/persistence';
import type { UsageReport } from '../usage-report.service.js';

const OWN_GROUPS = ['day', 'model', 'provider'] as const;
/** A date or a date-time; whether it is a real one is checked when the range is built. */
const DATE = /^\d{4}-\d{2}-\d{2}(T[0-9:.]{5,18}(Z|[+-]\d{2}:?\d{2})?)?$/i;
const DATE_MESSAGE = (name: string) => `${name} must be an ISO 8601 date (2026-12-01) or date-time with a zone (2026-12-01T00:00:00Z)`;

class UsageRangeQueryDto {
  @ApiPropertyOptional({ description: 'Inclusive; default the first day of this month (UTC)', example: '2026-12-01' })
  @IsOptional()
  @Matches(DATE, { message: DATE_MESSAGE('from') })
  from?: string;

  @ApiPropertyOptional({ description: 'Exclusive; default the first day of next month, or a year after `from`. At most 366 days after `from`', example: '2027-01-01' })
  @IsOptional()
  @Matches(DATE, { message: DATE_MESSAGE('to') })
  to?: string;
}

export class UsageQueryDto extends UsageRangeQueryDto {
  @ApiPropertyOptional({ enum: OWN_GROUPS, default: 'day' })
  @IsOptional()
  @IsIn(OWN_GROUPS, { message: `groupBy must be one of ${OWN_GROUPS.join(', ')}` })
  groupBy: (typeof OWN_GROUPS)[number] = 'day';
}

export class AdminUsageQueryDto extends UsageRangeQueryDto {
  @ApiPropertyOptional({ enum: USAGE_GROUPS, default: 'user' })
  @IsOptional()
  @IsIn(USAGE_GROUPS, { message: `groupBy must be one of ${USAGE_GROUPS.join(', ')}` })
  groupBy: UsageGroup = 'user';

  @ApiPropertyOptional({ format: 'uuid', description: 'Only this user' })
  @IsOptional()
  @IsUUID('all', { message: 'userId must be a UUID' })
  userId?: string;
}

export class UsageRowDto {
  @ApiProperty({ description: 'The day (YYYY-MM-DD, UTC), `provider/model`, the provider, or the user id', example: '2026-12-01' }) key: string;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'Grouped by user: their e-mail (null once the account is deleted)' }) email?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, example: 'USD', description: 'Null for replies of models without a price' }) currency: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, example: '0.012345000', description: 'Exact decimal sum in `currency`' }) cost: string | null;
  @ApiProperty() replies: number;
  @ApiProperty({ description: 'Replies whose tokens were estimated (the provider sent no counts)' }) estimatedReplies: number;
  @ApiProperty() promptTokens: number;
  @ApiProperty() completionTokens: number;
  @ApiProperty() cachedPromptTokens: number;
  @ApiProperty() reasoningTokens: number;
}

export class UsageReportDto {
  @ApiProperty() from: Date;
  @ApiProperty() to: Date;
  @ApiProperty({ enum: USAGE_GROUPS }) groupBy: string;
  @ApiProperty({ type: [UsageRowDto], description: 'One row per group and currency, in key order' }) rows: UsageRowDto[];
  @ApiProperty({ description: 'More rows than a report returns (1000): narrow the range' }) truncated: boolean;
}

function mapUsageRow(row: UsageTotals, byUser: boolean): UsageRowDto {
  const { key, email, currency, cost, replies, estimatedReplies, promptTokens, completionTokens, cachedPromptTokens, reasoningTokens } = row;
  return { key, ...(byUser && { email }), currency, cost, replies, estimatedReplies, promptTokens, completionTokens, cachedPromptTokens, reasoningTokens };
}

export function mapUsageReport(report: UsageReport): UsageReportDto {
  const { from, to, groupBy, truncated } = report;
  return { from, to, groupBy, rows: report.rows.map((row) => mapUsageRow(row, groupBy === 'user')), truncated };
}
