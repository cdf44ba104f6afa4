import { Body, Controller, Get, HttpCode, HttpStatus, Inject, Post, Res, UseFilters } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { ApiBearerAuth, ApiBody, ApiExtraModels, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { filesConfig } from '@app/common';
import { AllowApiKey } from '../auth/allow-api-key.decorator.js';
import type { AuthUser } from '../auth/auth-user.js';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { StreamThrottle } from '../throttling/throttle.decorators.js';
import { ChatCompletionRequestDto, chatCompletionTurn } from './dto/chat-completion.request.js';
import { ResponseInputMessageDto, ResponsesRequestDto, responsesTurn } from './dto/responses.request.js';
import { writeEventStream } from '../http/event-stream.writer.js';
import { LenientBodyPipe } from './lenient-body.pipe.js';
import { chatCompletion, OpenAiChunkEncoder } from './openai-chunk.encoder.js';
import { OpenAiExceptionFilter } from './openai-exception.filter.js';
import { OpenAiService } from './openai.service.js';
import { ResponsesEncoder, responseObject } from './responses.encoder.js';

/** Typed as an interface so the global (strict) validation pipe leaves the body to LenientBodyPipe. */
type ChatCompletionRequest = Pick<ChatCompletionRequestDto, keyof ChatCompletionRequestDto>;
type ResponsesRequest = Pick<ResponsesRequestDto, keyof ResponsesRequestDto>;

/** The OpenAI API shape, so any OpenAI client can use the gateway with a personal API key. */
@ApiTags('openai-compatible')
// Referenced only from inside ResponsesRequestDto's `input` union, which Swagger does not follow to register it.
@ApiExtraModels(ResponseInputMessageDto)
@ApiBearerAuth()
@AllowApiKey()
@UseFilters(OpenAiExceptionFilter)
@Controller('v1')
export class OpenAiController {
  constructor(
    private readonly openai: OpenAiService,
    @Inject(filesConfig.KEY) private readonly files: ConfigType<typeof filesConfig>,
  ) {}

  @Get('models')
  @ApiOkResponse({ description: 'OpenAI model list: `provider/model` for the providers you can use' })
  async models(@CurrentUser() user: AuthUser) {
    const created = Math.floor(Date.now() / 1000);
    return { object: 'list', data: (await this.openai.models(user)).map((model) => ({ ...model, object: 'model', created })) };
  }

  @Post('chat/completions')
  @HttpCode(HttpStatus.OK)
  @StreamThrottle()
  @ApiBody({ type: ChatCompletionRequestDto })
  @ApiProduces('application/json', 'text/event-stream')
  @ApiOkResponse({ description: 'A chat.completion, or with `stream: true` chat.completion.chunk events ending with `data: [DONE]`' })
  async complete(
    @CurrentUser() user: AuthUser,
    @Body(new LenientBodyPipe(ChatCompletionRequestDto)) request: ChatCompletionRequest,
    @Res() response: Response,
  ): Promise<void> {
    const turn = await chatCompletionTurn(request, this.files.maxBytes);
    if (request.stream) {
      return writeEventStream(response, await this.openai.start(user, turn, new OpenAiChunkEncoder(request.model, request.stream_options?.include_usage === true)));
    }
    response.json(chatCompletion(request.model, await this.openai.complete(user, turn, response)));
  }

  @Post('responses')
  @HttpCode(HttpStatus.OK)
  @StreamThrottle()
  @ApiBody({ type: ResponsesRequestDto })
  @ApiProduces('application/json', 'text/event-stream')
  @ApiOkResponse({ description: 'A response, or with `stream: true` its `response.*` events; `previous_response_id` continues the recorded session' })
  async respond(@CurrentUser() user: AuthUser, @Body(new LenientBodyPipe(ResponsesRequestDto)) request: ResponsesRequest, @Res() response: Response): Promise<void> {
    const turn = responsesTurn(request);
    if (request.stream) return writeEventStream(response, await this.openai.start(user, turn, new ResponsesEncoder(request)));
    const reply = await this.openai.complete(user, turn, response);
    response.json(responseObject(request, reply, 'completed', reply.content, reply.usage, reply.reasoning));
  }
}
