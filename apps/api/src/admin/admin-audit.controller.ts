import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AppError } from '@app/common';
import { AuditService } from '../audit/audit.service.js';
import { Roles } from '../auth/roles.decorator.js';
import { AuditPageDto, ListAuditEventsQueryDto, mapAuditEvent } from './dto/audit-events.dto.js';

/** ISO 8601 forms the validator accepts but Date cannot read (week and ordinal dates) are refused here, not queried. */
function toDate(field: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new AppError('VALIDATION_FAILED', `${field} must be a calendar date or date-time`);
  return date;
}

@ApiTags('admin')
@ApiBearerAuth()
@Roles('admin')
@Controller('admin/audit')
export class AdminAuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @ApiOkResponse({ type: AuditPageDto, description: 'Newest first' })
  async list(@Query() query: ListAuditEventsQueryDto): Promise<AuditPageDto> {
    const page = await this.audit.list(
      {
        actor: query.actor?.toLowerCase(),
        action: query.action,
        from: toDate('from', query.from),
        to: toDate('to', query.to),
        beforeId: query.cursor,
      },
      query.limit,
    );
    return { events: page.events.map(mapAuditEvent), nextCursor: page.nextCursor };
  }
}
