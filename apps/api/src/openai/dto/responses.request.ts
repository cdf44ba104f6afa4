import { ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { REASONING_EFFORTS, type ReasoningEffort } from '@app/ai';
import { plainToInstance, Transform, Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsIn, IsInt, IsNumber, IsOptional, IsString, Length, Matches, Max, Min, ValidateNested } from 'class-validator';
import type { CompatibleTurn } from '../openai.service.js';
import { contentText, IsTextContent, type TextContent } from './text-content.js';

export const RESPONSE_ROLES = ['system', 'developer', 'user', 'assistant'] as const;

/** `resp_<session id>_<reply id>`: a response names the recorded reply a later one continues after. */
export const RESPONSE_ID = /^resp_([0-9a-f-]{36})_([0-9a-f-]{36})$/;

export const responseId = (sessionId: string, messageId: string) => `resp_${sessionId}_${messageId}`;

/** An input message; other item types (tool calls, files) are refused. */
export class ResponseInputMessageDto {
  @ApiPropertyOptional({ enum: ['message'] }) @IsOptional() @IsIn(['message'], { message: 'only message input items are supported' }) type?: 'message';
  @ApiProperty({ enum: RESPONSE_ROLES, example: 'user' }) @IsIn(RESPONSE_ROLES) role: (typeof RESPONSE_ROLES)[number];

  @ApiProperty({ oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'object' } }], example: 'Hello!' })
  @IsTextContent()
  content: TextContent;
}

/** `reasoning`: its effort is used; `summary` is accepted and ignored (the reasoning the model gives is streamed whole). */
export class ResponsesReasoningDto {
  @ApiPropertyOptional({ enum: REASONING_EFFORTS, description: "Mapped to each provider's reasoning parameter (Anthropic and Gemini: a thinking budget)" })
  @IsOptional()
  @IsIn(REASONING_EFFORTS)
  effort?: ReasoningEffort;
}

/** OpenAI's Responses request; fields we do not use (tools, metadata, …) are accepted and ignored. */
export class ResponsesRequestDto {
  @ApiProperty({ example: 'echo/echo-1', description: '`provider/model`, or a bare model name of a provider you configured' })
  @IsString()
  @Length(1, 300)
  model: string;

  @ApiProperty({ oneOf: [{ type: 'string' }, { type: 'array', items: { $ref: getSchemaPath(ResponseInputMessageDto) } }], example: 'Hello' })
  // A string is one user message.
  @Transform(({ value }: { value: unknown }) => plainToInstance(ResponseInputMessageDto, typeof value === 'string' ? [{ role: 'user', content: value }] : value))
  @IsArray({ message: 'input must be a string or an array of messages' })
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @ValidateNested({ each: true })
  input: ResponseInputMessageDto[];

  @ApiPropertyOptional({ description: 'A system message for this response (not carried over by previous_response_id)' })
  @IsOptional()
  @IsString()
  instructions?: string;

  @ApiPropertyOptional({ description: 'Continue the recorded conversation after this response' })
  @IsOptional()
  @Matches(RESPONSE_ID, { message: 'previous_response_id must be the id of a response of this API' })
  previous_response_id?: string;

  @ApiPropertyOptional({ default: true, description: 'false: the response is not recorded (and cannot be continued)' })
  @IsOptional()
  @IsBoolean()
  store?: boolean;

  @ApiPropertyOptional() @IsOptional() @IsBoolean() stream?: boolean;

  @ApiPropertyOptional({ minimum: 0, maximum: 2 }) @IsOptional() @IsNumber() @Min(0) @Max(2) temperature?: number;

  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(1) @Max(1_000_000) max_output_tokens?: number;

  @ApiPropertyOptional({ type: ResponsesReasoningDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => ResponsesReasoningDto)
  reasoning?: ResponsesReasoningDto;
}

export function responsesTurn(request: ResponsesRequestDto): CompatibleTurn {
  const instructions = request.instructions === undefined ? [] : [{ role: 'system' as const, content: request.instructions }];
  const previous = request.previous_response_id === undefined ? undefined : RESPONSE_ID.exec(request.previous_response_id)!;
  return {
    model: request.model,
    messages: [
      ...instructions,
      ...request.input.map((message) => ({ role: message.role === 'developer' ? ('system' as const) : message.role, content: contentText(message.content) })),
    ],
    temperature: request.temperature,
    maxTokens: request.max_output_tokens,
    store: request.store,
    ...(request.reasoning?.effort && { reasoning: { effort: request.reasoning.effort } }),
    ...(previous && { after: { sessionId: previous[1]!, messageId: previous[2]! } }),
  };
}
