import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Roles } from '../auth/roles.decorator.js';
import { AdminUsageQueryDto, UsageReportDto } from './dto/usage.dto.js';
import { UsageReportService } from './usage-report.service.js';
import { sendUsageReport } from './usage-response.js';

@ApiTags('admin')
@ApiBearerAuth()
@Roles('admin')
@Controller('admin/usage')
export class AdminUsageController {
  constructor(private readonly reports: UsageReportService) {}

  @Get()
  @ApiProduces('application/json', 'text/csv')
  @ApiOkResponse({ type: UsageReportDto, description: "Everyone's replies (or one user's), summed per user, model, provider or day (CSV with `Accept: text/csv`)" })
  async report(@Query() query: AdminUsageQueryDto, @Req() request: Request, @Res({ passthrough: true }) response: Response): Promise<UsageReportDto | string> {
    return sendUsageReport(request, response, await this.reports.everyonesReport(query.from, query.to, query.groupBy, query.userId));
  }
}
