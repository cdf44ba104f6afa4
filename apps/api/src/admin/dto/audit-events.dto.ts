import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsOptional, Matches, Max, Min } from 'class-validator';
import type { AuditDetail, AuditEventEntity } from '@app/persistence';
import { AUDIT_ACTIONS, type AuditAction, SYSTEM_ACTOR } from '../../audit/audit-actions.js';

const ACTOR = new RegExp(`^(${SYSTEM_ACTOR}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$`, 'i');

export class ListAuditEventsQueryDto {
  @ApiPropertyOptional({ description: `A user id, or \`${SYSTEM_ACTOR}\`` })
  @IsOptional()
  @Matches(ACTOR, { message: `actor must be a user id or ${SYSTEM_ACTOR}` })
  actor?: string;

  @ApiPropertyOptional({ enum: AUDIT_ACTIONS })
  @IsOptional()
  @IsIn(AUDIT_ACTIONS, { message: `action must be one of ${AUDIT_ACTIONS.join(', ')}` })
  action?: AuditAction;

  @ApiPropertyOptional({ description: 'ISO 8601 date or date-time: events at or after it', example: '2026-12-01T00:00:00Z' })
  @IsOptional()
  @IsISO8601({ strict: true, strictSeparator: true }, { message: 'from must be an ISO 8601 date or date-time' })
  from?: string;

  @ApiPropertyOptional({ description: 'ISO 8601 date or date-time: events before it', example: '2026-12-02T00:00:00Z' })
  @IsOptional()
  @IsISO8601({ strict: true, strictSeparator: true }, { message: 'to must be an ISO 8601 date or date-time' })
  to?: string;

  @ApiPropertyOptional({ description: 'nextCursor from the previous page' })
  @IsOptional()
  // Up to 18 digits: always inside bigint, so no value can reach the database as an out-of-range number.
  @Matches(/^[1-9][0-9]{0,17}$/, { message: 'cursor is not valid' })
  cursor?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit: number = 50;
}

export class AuditEventDto {
  @ApiProperty({ description: 'Increasing; the listing cursor' }) id: string;
  @ApiProperty() at: Date;
  @ApiProperty({ description: `A user id, or \`${SYSTEM_ACTOR}\`` }) actor: string;
  @ApiProperty({ enum: AUDIT_ACTIONS }) action: string;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'A user id, an API key id or a provider name' }) target: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) clientAddress: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) requestId: string | null;
  @ApiPropertyOptional({ nullable: true, type: 'object', additionalProperties: true, description: 'A few facts; never a secret' })
  detail: AuditDetail | null;
}

export class AuditPageDto {
  @ApiProperty({ type: [AuditEventDto] }) events: AuditEventDto[];
  @ApiPropertyOptional({ type: String, description: 'Pass as `cursor` to get older events; null on the last page', nullable: true })
  nextCursor: string | null;
}

export function mapAuditEvent(event: AuditEventEntity): AuditEventDto {
  const { id, at, actor, action, target, clientAddress, requestId, detail } = event;
  return { id, at, actor, action, target, clientAddress, requestId, detail };
}
