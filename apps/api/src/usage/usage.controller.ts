import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { AuthUser } from '../auth/auth-user.js';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { UsageQueryDto, UsageReportDto } from './dto/usage.dto.js';
import { UsageReportService } from './usage-report.service.js';
import { sendUsageReport } from './usage-response.js';

@ApiTags('usage')
@ApiBearerAuth()
@Controller('usage')
export class UsageController {
  constructor(private readonly reports: UsageReportService) {}

  @Get()
  @ApiProduces('application/json', 'text/csv')
  @ApiOkResponse({ type: UsageReportDto, description: 'What your replies used and cost, summed per day, model or provider (CSV with `Accept: text/csv`)' })
  async report(@CurrentUser() user: AuthUser, @Query() query: UsageQueryDto, @Req() request: Request, @Res({ passthrough: true }) response: Response): Promise<UsageReportDto | string> {
    return sendUsageReport(request, response, await this.reports.ownReport(user.id, query.from, query.to, query.groupBy));
  }
}
