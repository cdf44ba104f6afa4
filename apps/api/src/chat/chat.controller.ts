import { Body, Controller, HttpCode, HttpStatus, type MessageEvent, RequestMethod, Sse, SseSignal } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBearerAuth, ApiNotFoundResponse, ApiOkResponse, ApiProduces, ApiTags, ApiTooManyRequestsResponse } from '@nestjs/swagger';
import type { Observable } from 'rxjs';
import type { AuthUser } from '../auth/auth-user.js';
import { AllowApiKey } from '../auth/allow-api-key.decorator.js';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { StreamThrottle } from '../throttling/throttle.decorators.js';
import { ChatService } from './chat.service.js';
import { StreamChatDto } from './dto/stream-chat.dto.js';

const STREAM_DESCRIPTION = [
  'Server-Sent Events, each with an `id:` line:',
  '- `event: session` `{sessionId, messageId}` first;',
  '- `event: message` `{content}` for every delta of the reply;',
  '- `event: done` `{messageId, usage: {promptTokens, completionTokens} | null, responseTimeMs}` at the end,',
  '- or `event: error` `{error, code, messageId?}` (codes: upstream_auth, upstream_rate_limited, upstream_bad_request, upstream_error, upstream_timeout, upstream_blocked, persistence_error, internal_error).',
  'Comment lines (`: keep-alive`) are sent every 15 s. Refusals before the stream starts are JSON errors.',
].join('\n');

@ApiTags('chat')
@ApiBearerAuth()
@AllowApiKey()
@Controller('chat')
export class ChatController {
  constructor(private readonly chat: ChatService) {}

  @Sse('stream', { method: RequestMethod.POST })
  @HttpCode(HttpStatus.OK)
  @StreamThrottle()
  @ApiProduces('text/event-stream')
  @ApiOkResponse({ description: STREAM_DESCRIPTION, content: { 'text/event-stream': { schema: { type: 'string' } } } })
  @ApiBadRequestResponse({ description: 'Invalid body, or the provider is not configured' })
  @ApiNotFoundResponse({ description: 'sessionId is not one of your sessions' })
  @ApiTooManyRequestsResponse({ description: 'Per-user stream limit reached; see Retry-After' })
  async stream(@CurrentUser() user: AuthUser, @Body() dto: StreamChatDto, @SseSignal() signal: AbortSignal): Promise<Observable<MessageEvent>> {
    return this.chat.stream(user, dto, signal);
  }
}
