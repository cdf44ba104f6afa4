import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsObject, IsOptional, IsString, Length, Matches, MaxLength, ValidateBy, ValidateNested, type ValidationOptions } from 'class-validator';
import type { ToolChoice } from '@app/ai';
import { MAX_TOOL_CALLS } from '../../generations/generation.js';

/** As OpenAI allows; the other providers accept at least this. */
export const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
/** OpenAI's limit on tools per request, and ours on the calls of one reply. */
export const MAX_TOOLS = MAX_TOOL_CALLS;
export const MAX_TOOL_DESCRIPTION = 4_000;
/** A tool's output as a client sends it back; the whole body stays within BODY_LIMIT. */
export const MAX_TOOL_RESULT_CHARS = 200_000;
const TOOL_CHOICE_MODES = ['auto', 'none', 'required'];

export class ToolDefinitionDto {
  @ApiProperty({ pattern: TOOL_NAME.source, example: 'get_weather' })
  @IsString()
  @Matches(TOOL_NAME, { message: 'name must be 1 to 64 letters, digits, _ or -' })
  name: string;

  @ApiPropertyOptional({ maxLength: MAX_TOOL_DESCRIPTION, example: 'The current weather in a city' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_TOOL_DESCRIPTION)
  description?: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    example: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    description: "The arguments' JSON Schema, passed to the provider as given (within BODY_LIMIT and BODY_MAX_DEPTH)",
  })
  @IsObject()
  parameters: Record<string, unknown>;
}

const isToolChoice = (value: unknown) =>
  (typeof value === 'string' && TOOL_CHOICE_MODES.includes(value)) ||
  (typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 1 && typeof (value as { name?: unknown }).name === 'string' && TOOL_NAME.test((value as { name: string }).name));

/** `auto`, `none`, `required`, or `{name}` of one of the tools. */
export function IsToolChoice(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy({ name: 'isToolChoice', validator: { validate: isToolChoice, defaultMessage: () => '$property must be auto, none, required or {name} of a tool' } }, options);
}

/** Tools offered with a turn: kept on its reply, and offered again when the reply's tool calls are answered. */
export class ToolsOptionDto {
  @ApiPropertyOptional({
    type: [ToolDefinitionDto],
    maxItems: MAX_TOOLS,
    description: 'Functions the model may call: the stream then emits `tool_call` events and ends with `done` `finishReason: "tool_calls"`; answer with POST /api/chat/sessions/{id}/tool-results',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_TOOLS)
  @ValidateNested({ each: true })
  @Type(() => ToolDefinitionDto)
  tools?: ToolDefinitionDto[];

  @ApiPropertyOptional({ oneOf: [{ type: 'string', enum: TOOL_CHOICE_MODES }, { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] }], default: 'auto' })
  @IsOptional()
  @IsToolChoice()
  toolChoice?: ToolChoice;
}

export class ToolResultDto {
  @ApiProperty({ description: 'The `id` of the `tool_call` event this answers', example: 'call_abc123' })
  @IsString()
  @Length(1, 200)
  toolCallId: string;

  @ApiProperty({ maxLength: MAX_TOOL_RESULT_CHARS, description: "The tool's output, as text (JSON text is fine)", example: '{"temperature": 21}' })
  @IsString()
  @MaxLength(MAX_TOOL_RESULT_CHARS)
  content: string;
}

