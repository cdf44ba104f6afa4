import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { REASONING_EFFORTS, type ReasoningEffort } from '@app/ai';
import type { CompatibleTurn } from '../openai.service.js';
import { imageAttachments } from './image-content.js';
import { contentText, IsTextContent, type TextContent } from './text-content.js';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsIn, IsInt, IsNumber, IsOptional, IsString, Length, Max, Min, ValidateNested } from 'class-validator';

export const OPENAI_ROLES = ['system', 'developer', 'user', 'assistant'] as const;

export class StreamOptionsDto {
  @ApiPropertyOptional() @IsOptional() @IsBoolean() include_usage?: boolean;
}

export class ChatCompletionMessageDto {
  @ApiProperty({ enum: OPENAI_ROLES, example: 'user' }) @IsIn(OPENAI_ROLES) role: (typeof OPENAI_ROLES)[number];

  /** A string, or content parts of which the text ones and the images (data URLs) are used. */
  @ApiProperty({
    description: 'A string, or content parts: `text`, and on user messages `image_url` with a base64 data URL (a remote URL is refused, never fetched)',
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'object' } }],
    example: 'Hello!',
  })
  @IsTextContent()
  content: TextContent;
}

/** OpenAI's request body; fields we do not use (n, top_p, tools, …) are accepted and ignored, as OpenAI clients send them. */
export class ChatCompletionRequestDto {
  @ApiProperty({ example: 'echo/echo-1', description: '`provider/model`, or a bare model name of a provider you configured' })
  @IsString()
  @Length(1, 300)
  model: string;

  @ApiProperty({ type: [ChatCompletionMessageDto] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @ValidateNested({ each: true })
  @Type(() => ChatCompletionMessageDto)
  messages: ChatCompletionMessageDto[];

  @ApiPropertyOptional() @IsOptional() @IsBoolean() stream?: boolean;

  @ApiPropertyOptional({ type: StreamOptionsDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => StreamOptionsDto)
  stream_options?: StreamOptionsDto;

  @ApiPropertyOptional({ minimum: 0, maximum: 2 }) @IsOptional() @IsNumber() @Min(0) @Max(2) temperature?: number;

  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(1) @Max(1_000_000) max_tokens?: number;

  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(1) @Max(1_000_000) max_completion_tokens?: number;

  @ApiPropertyOptional({ enum: REASONING_EFFORTS, description: "Mapped to each provider's reasoning parameter (Anthropic and Gemini: a thinking budget)" })
  @IsOptional()
  @IsIn(REASONING_EFFORTS)
  reasoning_effort?: ReasoningEffort;

  @ApiPropertyOptional({ default: true, description: 'false: the call is not recorded as a session' })
  @IsOptional()
  @IsBoolean()
  store?: boolean;
}

/** `maxImageBytes`: the largest image a message may carry (FILES_MAX_BYTES). */
export async function chatCompletionTurn(request: ChatCompletionRequestDto, maxImageBytes: number): Promise<CompatibleTurn> {
  const messages = [];
  for (const message of request.messages) {
    const attachments = message.role === 'user' ? await imageAttachments(message.content, maxImageBytes) : [];
    messages.push({ role: message.role === 'developer' ? ('system' as const) : message.role, content: contentText(message.content), ...(attachments.length > 0 && { attachments }) });
  }
  return {
    model: request.model,
    messages,
    temperature: request.temperature,
    maxTokens: request.max_completion_tokens ?? request.max_tokens,
    ...(request.reasoning_effort && { reasoning: { effort: request.reasoning_effort } }),
    store: request.store,
  };
}
