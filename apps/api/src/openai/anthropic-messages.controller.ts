import { Body, Controller, HttpCode, HttpStatus, Post, Res, UseFilters } from '@nestjs/common';
import { ApiBody, ApiHeader, ApiOkResponse, ApiProduces, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { AllowApiKey } from '../auth/allow-api-key.decorator.js';
import type { AuthUser } from '../auth/auth-user.js';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { StreamThrottle } from '../throttling/throttle.decorators.js';
import { AnthropicExceptionFilter } from './anthropic-exception.filter.js';
import { anthropicMessage, AnthropicMessagesEncoder } from './anthropic-messages.encoder.js';
import { AnthropicMessagesRequestDto, anthropicMessagesTurn } from './dto/anthropic-messages.request.js';
import { writeEventStream } from '../http/event-stream.writer.js';
import { LenientBodyPipe } from './lenient-body.pipe.js';
import { OpenAiService } from './openai.service.js';

/** Typed as an interface so the global (strict) validation pipe leaves the body to LenientBodyPipe. */
type AnthropicMessagesRequest = Pick<AnthropicMessagesRequestDto, keyof AnthropicMessagesRequestDto>;

/** Anthropic's Messages API, so Anthropic clients (the SDK, Claude Code) use any of our providers with a personal API key. */
@ApiTags('anthropic-compatible')
@ApiSecurity('x-api-key')
@AllowApiKey()
@UseFilters(AnthropicExceptionFilter)
@Controller('v1')
export class AnthropicMessagesController {
  constructor(private readonly compatible: OpenAiService) {}

  @Post('messages')
  @HttpCode(HttpStatus.OK)
  @StreamThrottle()
  @ApiHeader({ name: 'anthropic-version', required: false, description: 'Accepted and ignored: one version of the API is served' })
  @ApiBody({ type: AnthropicMessagesRequestDto })
  @ApiProduces('application/json', 'text/event-stream')
  @ApiOkResponse({ description: 'A message, or with `stream: true` its events (message_start … message_stop)' })
  async create(
    @CurrentUser() user: AuthUser,
    @Body(new LenientBodyPipe(AnthropicMessagesRequestDto)) request: AnthropicMessagesRequest,
    @Res() response: Response,
  ): Promise<void> {
    const turn = anthropicMessagesTurn(request);
    if (request.stream) return writeEventStream(response, await this.compatible.start(user, turn, new AnthropicMessagesEncoder(request.model)));
    response.json(anthropicMessage(request.model, await this.compatible.complete(user, turn, response)));
  }
}
