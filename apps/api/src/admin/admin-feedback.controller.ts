import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Roles } from '../auth/roles.decorator.js';
import { mapModelFeedback, ModelFeedbackPageDto } from '../feedback/dto/feedback.dto.js';
import { FeedbackService } from '../feedback/feedback.service.js';
import { PageQueryDto } from '../http/page-query.dto.js';

@ApiTags('admin')
@ApiBearerAuth()
@Roles('admin')
@Controller('admin/feedback')
export class AdminFeedbackController {
  constructor(private readonly feedback: FeedbackService) {}

  @Get()
  @ApiOkResponse({ type: ModelFeedbackPageDto, description: "Users' ratings of replies, counted per provider and model" })
  async list(@Query() query: PageQueryDto): Promise<ModelFeedbackPageDto> {
    const page = await this.feedback.aggregateByModel(query.limit, query.cursor);
    return { models: page.models.map(mapModelFeedback), nextCursor: page.nextCursor };
  }
}
