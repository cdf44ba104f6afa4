import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsIn, IsInt, IsNumber, IsOptional, IsString, Length, Max, Min, ValidateNested } from 'class-validator';
import { AppError } from '@app/common';
import type { CompatibleTurn } from '../openai.service.js';
import { contentText, IsTextContent, type TextContent } from './text-content.js';

export const ANTHROPIC_ROLES = ['user', 'assistant'] as const;

export class AnthropicMessageDto {
  @ApiProperty({ enum: ANTHROPIC_ROLES, example: 'user' }) @IsIn(ANTHROPIC_ROLES) role: (typeof ANTHROPIC_ROLES)[number];

  /** A string, or content blocks of which the text ones are used. */
  @ApiProperty({ oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'object' } }], example: 'Hello!' })
  @IsTextContent()
  content: TextContent;
}

export class AnthropicThinkingDto {
  @ApiProperty({ enum: ['enabled', 'disabled'] }) @IsIn(['enabled', 'disabled']) type: 'enabled' | 'disabled';

  @ApiPropertyOptional({ minimum: 1024, description: 'Required when enabled; less than max_tokens' })
  @IsOptional()
  @IsInt()
  @Min(1024)
  @Max(128_000)
  budget_tokens?: number;
}

/** Anthropic's Messages request; fields we do not use (top_k, tools, metadata, …) are accepted and ignored. */
export class AnthropicMessagesRequestDto {
  @ApiProperty({ example: 'echo/echo-1', description: '`provider/model`, or a bare model name of a provider you configured' })
  @IsString()
  @Length(1, 300)
  model: string;

  @ApiProperty({ type: [AnthropicMessageDto] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @ValidateNested({ each: true })
  @Type(() => AnthropicMessageDto)
  messages: AnthropicMessageDto[];

  @ApiPropertyOptional({ oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'object' } }] })
  @IsOptional()
  @IsTextContent()
  system?: TextContent;

  @ApiProperty({ minimum: 1, example: 1024 }) @IsInt() @Min(1) @Max(1_000_000) max_tokens: number;

  @ApiPropertyOptional() @IsOptional() @IsBoolean() stream?: boolean;

  @ApiPropertyOptional({ minimum: 0, maximum: 1 }) @IsOptional() @IsNumber() @Min(0) @Max(1) temperature?: number;

  @ApiPropertyOptional({ type: AnthropicThinkingDto, description: 'Extended thinking, mapped to the reasoning option of whichever provider answers' })
  @IsOptional()
  @ValidateNested()
  @Type(() => AnthropicThinkingDto)
  thinking?: AnthropicThinkingDto;
}

export function anthropicMessagesTurn(request: AnthropicMessagesRequestDto): CompatibleTurn {
  const system = request.system === undefined ? [] : [{ role: 'system' as const, content: contentText(request.system) }];
  return {
    model: request.model,
    messages: [...system, ...request.messages.map((message) => ({ role: message.role, content: contentText(message.content) }))],
    temperature: request.temperature,
    ...thinkingOf(request),
  };
}

/** Anthropic counts the thinking budget within max_tokens; our reasoning option adds it on top of the answer's allowance. */
function thinkingOf({ thinking, max_tokens }: AnthropicMessagesRequestDto): Pick<CompatibleTurn, 'maxTokens' | 'reasoning'> {
  if (thinking?.type !== 'enabled') return { maxTokens: max_tokens };
  const budget = thinking.budget_tokens;
  if (budget === undefined) throw new AppError('VALIDATION_FAILED', 'thinking.budget_tokens is required when thinking is enabled');
  if (budget >= max_tokens) throw new AppError('VALIDATION_FAILED', 'thinking.budget_tokens must be less than max_tokens');
  return { maxTokens: max_tokens - budget, reasoning: { budgetTokens: budget } };
}
