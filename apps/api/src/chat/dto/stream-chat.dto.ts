import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsBoolean, IsOptional, IsString, IsUUID, Length, ValidateNested } from 'class-validator';
import type { ChoosableProvider } from '../../model-access/model-policy.js';
import {
  MaxOutputTokensSetting,
  ModelSetting,
  ProviderSetting,
  type ReasoningDto,
  ReasoningSetting,
  SystemPromptSetting,
  TemperatureSetting,
} from '../../sessions/dto/session-settings.dto.js';
import { MAX_TOOLS, ToolResultDto, ToolsOptionDto } from './tools.dto.js';

export const MAX_MESSAGE_CHARS = 32_000;

/** Files one message may attach. */
export const MAX_ATTACHMENTS = 10;

/** The text of a user's message, as every request that writes one validates it. */
const MessageText = (description: string, example?: string) =>
  applyDecorators(
    ApiProperty({ minLength: 1, maxLength: MAX_MESSAGE_CHARS, description, ...(example && { example }) }),
    IsString(),
    Length(1, MAX_MESSAGE_CHARS, { message: `message must be between 1 and ${MAX_MESSAGE_CHARS} characters` }),
  );

/**
 * What every request that starts a reply may say about it; each setting left out comes from the session (the
 * tools: from the reply answered or replaced, when it had some).
 */
export class GenerationOptionsDto extends ToolsOptionDto {
  @ProviderSetting("Defaults to the session's provider; `alias`: `model` names one of the administrators' aliases", true)
  provider?: ChoosableProvider;

  @ModelSetting("Defaults to the session's model, then to your saved default model; with provider `alias`, the alias's name", true)
  model?: string;

  @TemperatureSetting()
  temperature?: number;

  @MaxOutputTokensSetting()
  maxOutputTokens?: number;

  @ReasoningSetting()
  reasoning?: ReasoningDto;

  @ApiPropertyOptional({
    default: false,
    description: 'true: the reply goes on being generated and saved if this connection drops; reattach with GET /api/chat/sessions/{id}/stream',
  })
  @IsOptional()
  @IsBoolean()
  detach?: boolean;
}

export class StreamChatDto extends GenerationOptionsDto {
  @MessageText('Your message', 'Hello!')
  message: string;

  @ApiPropertyOptional({
    type: [String],
    format: 'uuid',
    maxItems: MAX_ATTACHMENTS,
    description: 'Ids of your uploaded files (POST /api/files) sent with the message; the session then owns them. The model must read images (or PDF): else 400 ATTACHMENTS_NOT_SUPPORTED',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_ATTACHMENTS, { message: `attachments must have at most ${MAX_ATTACHMENTS} files` })
  @ArrayUnique({ message: 'attachments must not repeat a file' })
  @IsUUID('all', { each: true, message: 'attachments must be file ids (UUIDs)' })
  attachments?: string[];

  @ApiPropertyOptional({ format: 'uuid', description: 'Continue this session; omit to start a new one' })
  @IsOptional()
  @IsUUID('all', { message: 'sessionId must be a UUID' })
  sessionId?: string;

  @SystemPromptSetting('A new session only: its system prompt (change it later with PATCH /api/chat/sessions/{id}); overrides the preset\'s')
  systemPrompt?: string;

  @ApiPropertyOptional({ format: 'uuid', description: "A new session only: one of your presets, whose settings the session starts with; the request's own fields override them" })
  @IsOptional()
  @IsUUID('all', { message: 'presetId must be a UUID' })
  presetId?: string;
}

export class EditMessageDto extends GenerationOptionsDto {
  @MessageText('The new text of your message')
  content: string;
}

export class ToolResultsDto extends GenerationOptionsDto {
  @ApiProperty({ type: [ToolResultDto], minItems: 1, maxItems: MAX_TOOLS, description: 'One result for each tool call of the latest reply, each once' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_TOOLS)
  @ValidateNested({ each: true })
  @Type(() => ToolResultDto)
  results: ToolResultDto[];
}
