import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsIn, IsInt, IsNumber, IsObject, IsOptional, IsString, Length, Matches, Max, MaxLength, Min, ValidateIf, ValidateNested } from 'class-validator';
import type { ChatTurn, ReasoningBlock, ToolChoice } from '@app/ai';
import { AppError } from '@app/common';
import { MAX_TOOL_DESCRIPTION, MAX_TOOLS, TOOL_NAME } from '../../chat/dto/tools.dto.js';
import type { CompatibleTurn } from '../openai.service.js';
import { contentText, IsTextContent, type TextContent } from './text-content.js';

export const ANTHROPIC_ROLES = ['user', 'assistant'] as const;

export class AnthropicMessageDto {
  @ApiProperty({ enum: ANTHROPIC_ROLES, example: 'user' }) @IsIn(ANTHROPIC_ROLES) role: (typeof ANTHROPIC_ROLES)[number];

  /** A string, or content blocks of which the text, tool_use (assistant) and tool_result (user) ones are used. */
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

export class AnthropicToolDto {
  @ApiProperty({ pattern: TOOL_NAME.source, example: 'get_weather' }) @IsString() @Matches(TOOL_NAME, { message: 'name must be 1 to 64 letters, digits, _ or -' }) name: string;
  @ApiPropertyOptional({ maxLength: MAX_TOOL_DESCRIPTION }) @IsOptional() @IsString() @MaxLength(MAX_TOOL_DESCRIPTION) description?: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: "The input's JSON Schema" }) @IsObject() input_schema: Record<string, unknown>;
}

const ANTHROPIC_TOOL_CHOICES = ['auto', 'any', 'tool', 'none'] as const;

export class AnthropicToolChoiceDto {
  @ApiProperty({ enum: ANTHROPIC_TOOL_CHOICES }) @IsIn(ANTHROPIC_TOOL_CHOICES) type: (typeof ANTHROPIC_TOOL_CHOICES)[number];
  @ApiPropertyOptional({ description: 'With type tool: the tool' })
  @ValidateIf((choice: AnthropicToolChoiceDto) => choice.type === 'tool')
  @IsString()
  @Matches(TOOL_NAME)
  name?: string;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() disable_parallel_tool_use?: boolean;
}

/** Anthropic's Messages request; fields we do not use (top_k, metadata, …) are accepted and ignored. */
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

  @ApiPropertyOptional({ type: [AnthropicToolDto], maxItems: MAX_TOOLS, description: 'Tools the model may call, translated for every provider kind' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_TOOLS)
  @ValidateNested({ each: true })
  @Type(() => AnthropicToolDto)
  tools?: AnthropicToolDto[];

  @ApiPropertyOptional({ type: AnthropicToolChoiceDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => AnthropicToolChoiceDto)
  tool_choice?: AnthropicToolChoiceDto;

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
    messages: [...system, ...request.messages.flatMap(chatTurns)],
    temperature: request.temperature,
    ...(request.tools?.length && {
      tools: request.tools.map((tool) => ({ name: tool.name, ...(tool.description !== undefined && { description: tool.description }), parameters: tool.input_schema })),
      ...(request.tool_choice && toolChoiceOf(request.tool_choice)),
    }),
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

type Block = { type: string; [field: string]: unknown };
const isString = (value: unknown): value is string => typeof value === 'string' && value.length > 0 && value.length <= 200;

/**
 * One Anthropic message as our turns: an assistant's tool_use blocks become its tool calls; a user's tool_result
 * blocks become tool turns, before any text it has besides.
 */
function chatTurns(message: AnthropicMessageDto): ChatTurn[] {
  const blocks = (typeof message.content === 'string' ? [] : message.content) as Block[];
  const text = contentText(message.content);
  if (message.role === 'assistant') {
    const toolCalls = blocks
      .filter((block) => block.type === 'tool_use')
      .map((block) => {
        if (!isString(block.id) || !isString(block.name)) throw new AppError('VALIDATION_FAILED', 'A tool_use block needs an id and a name');
        return { id: block.id, name: block.name, arguments: JSON.stringify(block.input ?? {}) };
      });
    // Signed thinking goes back to Anthropic before a tool_use turn when thinking is on (the strategy decides).
    const reasoning = blocks.flatMap((block): ReasoningBlock[] => {
      if (block.type === 'thinking' && typeof block.thinking === 'string') {
        return [{ text: block.thinking, ...(typeof block.signature === 'string' && block.signature !== '' && { signature: block.signature }) }];
      }
      return block.type === 'redacted_thinking' && typeof block.data === 'string' ? [{ text: '', redactedData: block.data }] : [];
    });
    return [{ role: 'assistant', content: text, ...(toolCalls.length > 0 && { toolCalls }), ...(toolCalls.length > 0 && reasoning.length > 0 && { reasoning }) }];
  }
  const results = blocks
    .filter((block) => block.type === 'tool_result')
    .map((block): ChatTurn => {
      if (!isString(block.tool_use_id)) throw new AppError('VALIDATION_FAILED', 'A tool_result block needs its tool_use_id');
      const content = typeof block.content === 'string' ? block.content : Array.isArray(block.content) ? contentText(block.content as Block[]) : '';
      return { role: 'tool', toolCallId: block.tool_use_id, content };
    });
  return [...results, ...(text || results.length === 0 ? [{ role: 'user' as const, content: text }] : [])];
}

/** Anthropic's tool_choice in our terms: `any` is `required`, `tool` names one; disable_parallel_tool_use is the opposite of parallel. */
function toolChoiceOf(choice: AnthropicToolChoiceDto): Pick<CompatibleTurn, 'toolChoice' | 'parallelToolCalls'> {
  const toolChoice: ToolChoice = choice.type === 'any' ? 'required' : choice.type === 'tool' ? { name: choice.name! } : choice.type;
  return { toolChoice, ...(choice.disable_parallel_tool_use !== undefined && { parallelToolCalls: !choice.disable_parallel_tool_use }) };
}
