import { applyDecorators, Body, Controller, Headers, HttpCode, HttpStatus, type MessageEvent, Post, Query, RequestMethod, Res, Sse, SseSignal } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiBody,
  ApiConflictResponse,
  ApiHeader,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiPaymentRequiredResponse,
  ApiProduces,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { EMPTY, type Observable } from 'rxjs';
import { AppError } from '@app/common';
import type { AuthUser } from '../auth/auth-user.js';
import { AllowApiKey } from '../auth/allow-api-key.decorator.js';
import { AllowStreamToken } from '../auth/allow-stream-token.decorator.js';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { StreamTokensService } from '../auth/stream-tokens.service.js';
import { UuidParam } from '../http/uuid-param.decorator.js';
import { SessionId } from '../sessions/session-id.param.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { StreamThrottle } from '../throttling/throttle.decorators.js';
import { parseEventId } from './chat-events.js';
import { ChatService } from './chat.service.js';
import { FollowStreamQueryDto, StopResultDto, StreamTokenDto } from './dto/conversation-control.dto.js';
import { EditMessageDto, GenerationOptionsDto, StreamChatDto, ToolResultsDto } from './dto/stream-chat.dto.js';

const STREAM_DESCRIPTION = [
  'Server-Sent Events, each with an `id:` line (`<messageId>:<n>`, what Last-Event-ID sends back):',
  '- `event: session` `{sessionId, messageId}` first;',
  '- `event: message` `{content}` for every delta of the reply (`reasoning` `{content}` for its reasoning);',
  '- `event: tool_call` `{id, name, arguments}` for each tool call once complete (`arguments`: the model\'s JSON text);',
  '- `event: done` `{messageId, usage: {promptTokens, completionTokens} | null, responseTimeMs}` at the end',
  '  (with `stopped: true, reason` when it was stopped; `finishReason: "tool_calls"` when the reply waits for its',
  '  tool calls\' results: POST /api/chat/sessions/{id}/tool-results),',
  '- or `event: error` `{error, code, messageId?}` (codes: upstream_auth, upstream_rate_limited, upstream_bad_request, upstream_error, upstream_timeout, upstream_blocked, upstream_too_large, persistence_error, persistence_delayed, internal_error, server_shutdown, session_revoked).',
  'Comment lines (`: keep-alive`) are sent every 15 s. Refusals before the stream starts are JSON errors.',
].join('\n');

/** With REDIS_URL, the routes that start, follow or stop a reply need Redis. */
const REDIS_DOWN = 'Redis (REDIS_URL) is unavailable: code DEPENDENCY_UNAVAILABLE; retry shortly';

/** A route that starts a reply: streamed, throttled, refused with JSON before the stream starts. */
const StartsReply = (path: string) =>
  applyDecorators(
    Sse(path, { method: RequestMethod.POST }),
    HttpCode(HttpStatus.OK),
    StreamThrottle(),
    ApiProduces('text/event-stream'),
    ApiOkResponse({ description: STREAM_DESCRIPTION, content: { 'text/event-stream': { schema: { type: 'string' } } } }),
    ApiBadRequestResponse({ description: 'Invalid body, or the provider is not configured' }),
    ApiTooManyRequestsResponse({ description: 'Per-user stream limit reached; see Retry-After' }),
    ApiPaymentRequiredResponse({ description: "BUDGET_EXCEEDED: the reply's worst case does not fit what is left of your monthly budget" }),
    ApiServiceUnavailableResponse({ description: REDIS_DOWN }),
  );

@ApiTags('chat')
@ApiBearerAuth()
@AllowApiKey()
@Controller('chat')
export class ChatController {
  constructor(
    private readonly chat: ChatService,
    private readonly sessions: SessionsService,
    private readonly streamTokens: StreamTokensService,
  ) {}

  @StartsReply('stream')
  @ApiBody({ type: StreamChatDto, examples: { echo: { summary: 'A new session with the key-less echo model', value: { message: 'Hello!', provider: 'echo' } } } })
  @ApiNotFoundResponse({ description: 'sessionId is not one of your sessions' })
  @ApiConflictResponse({ description: 'A reply is already being generated in this session' })
  async stream(@CurrentUser() user: AuthUser, @Body() dto: StreamChatDto, @SseSignal() signal: AbortSignal): Promise<Observable<MessageEvent>> {
    return this.chat.send(user, dto, signal);
  }

  @StartsReply('sessions/:id/regenerate')
  @ApiNotFoundResponse({ description: 'No such session for this user' })
  @ApiConflictResponse({ description: 'A reply is being generated, or there is no question to answer again' })
  async regenerate(
    @CurrentUser() user: AuthUser,
    @SessionId() id: string,
    @Body() dto: GenerationOptionsDto,
    @SseSignal() signal: AbortSignal,
  ): Promise<Observable<MessageEvent>> {
    return this.chat.regenerate(user, id, dto, signal);
  }

  @StartsReply('sessions/:id/messages/:messageId/edit')
  @ApiNotFoundResponse({ description: 'No such session or message for this user' })
  @ApiConflictResponse({ description: 'A reply is already being generated in this session' })
  async edit(
    @CurrentUser() user: AuthUser,
    @SessionId() id: string,
    @UuidParam('messageId') messageId: string,
    @Body() dto: EditMessageDto,
    @SseSignal() signal: AbortSignal,
  ): Promise<Observable<MessageEvent>> {
    return this.chat.edit(user, id, messageId, dto, signal);
  }

  @StartsReply('sessions/:id/tool-results')
  @ApiBody({ type: ToolResultsDto, examples: { weather: { summary: 'The result of one call', value: { results: [{ toolCallId: 'call_abc123', content: '{"temperature": 21}' }] } } } })
  @ApiNotFoundResponse({ description: 'No such session for this user' })
  @ApiConflictResponse({ description: 'NO_PENDING_TOOL_CALLS: the latest reply made no tool calls (or was not complete); GENERATION_IN_PROGRESS: a reply is being generated' })
  async toolResults(@CurrentUser() user: AuthUser, @SessionId() id: string, @Body() dto: ToolResultsDto, @SseSignal() signal: AbortSignal): Promise<Observable<MessageEvent>> {
    return this.chat.submitToolResults(user, id, dto, signal);
  }

  @Sse('sessions/:id/stream')
  @AllowStreamToken()
  @ApiProduces('text/event-stream')
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'Resume after this event' })
  @ApiOkResponse({
    description:
      `The session's running reply (or its latest one), from the start or after Last-Event-ID, then live.\n${STREAM_DESCRIPTION}\n` +
      'If its live events stop coming (Redis lost), the stream ends with `event: error` code `resume_unavailable`: reconnect with Last-Event-ID.',
  })
  @ApiServiceUnavailableResponse({ description: REDIS_DOWN })
  @ApiNoContentResponse({ description: 'No reply is running or recent, or there is nothing after Last-Event-ID' })
  @ApiBadRequestResponse({ description: 'Last-Event-ID is not an event id of this API' })
  @ApiUnauthorizedResponse({ description: 'No access token, API key or valid stream token for this session' })
  @ApiNotFoundResponse({ description: 'No such session for this user' })
  async follow(
    @CurrentUser() user: AuthUser,
    @SessionId() id: string,
    @Query() query: FollowStreamQueryDto,
    @Headers('last-event-id') lastEventIdHeader: string | undefined,
    @Res({ passthrough: true }) response: Response,
  ): Promise<Observable<MessageEvent>> {
    const lastEventId = lastEventIdHeader ?? query.lastEventId;
    const after = lastEventId === undefined ? undefined : parseEventId(lastEventId);
    if (after === null) throw new AppError('VALIDATION_FAILED', 'Last-Event-ID must be the id of an event of this API, like <messageId>:<n>');
    const events = await this.chat.follow(user, id, after);
    if (events) return events;
    // 204 tells an EventSource not to reconnect.
    response.status(HttpStatus.NO_CONTENT).end();
    return EMPTY;
  }

  @Post('sessions/:id/stream-token')
  @ApiOkResponse({ type: StreamTokenDto, description: 'Valid for STREAM_TOKEN_TTL (60 s by default), for following this session only; ask again to renew it' })
  @ApiNotFoundResponse({ description: 'No such session for this user' })
  @HttpCode(HttpStatus.OK)
  async streamToken(@CurrentUser() user: AuthUser, @SessionId() id: string): Promise<StreamTokenDto> {
    await this.sessions.get(user.id, id);
    return this.streamTokens.issue({ userId: user.id, sessionId: id });
  }

  @Post('sessions/:id/stop')
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({
    type: StopResultDto,
    description: 'Answered once the partial reply is saved; followers get `done` with `stopped: true`. A reply whose replica died is saved `aborted` (`interrupted`) and its session freed.',
  })
  @ApiNotFoundResponse({ description: 'No such session for this user' })
  @ApiServiceUnavailableResponse({ description: REDIS_DOWN })
  async stop(@CurrentUser() user: AuthUser, @SessionId() id: string): Promise<StopResultDto> {
    return { stopped: await this.chat.stop(user, id) };
  }
}
