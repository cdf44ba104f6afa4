import { Body, Controller, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../auth/auth-user.js';
import { AllowApiKey } from '../auth/allow-api-key.decorator.js';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { UuidParam } from '../http/uuid-param.decorator.js';
import { SessionId } from '../sessions/session-id.param.js';
import { FeedbackResponseDto, mapFeedback, RateMessageDto } from './dto/feedback.dto.js';
import { FeedbackService } from './feedback.service.js';

@ApiTags('sessions')
@ApiBearerAuth()
@ApiNotFoundResponse({ description: 'No such session or message for this user' })
@AllowApiKey()
@Controller('chat/sessions')
export class FeedbackController {
  constructor(private readonly feedback: FeedbackService) {}

  @Put(':id/messages/:messageId/feedback')
  @ApiOkResponse({ type: FeedbackResponseDto, description: 'Thumbs up or down on a finished reply; given again, it replaces the earlier one' })
  async rate(@CurrentUser() user: AuthUser, @SessionId() id: string, @UuidParam('messageId') messageId: string, @Body() dto: RateMessageDto): Promise<FeedbackResponseDto> {
    return mapFeedback(await this.feedback.rate(user.id, id, messageId, dto.rating, dto.comment ?? null));
  }
}
