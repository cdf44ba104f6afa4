import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsNumber, IsOptional, IsString, IsUUID, Length, Matches, Max, Min, ValidateNested } from 'class-validator';
import { PROVIDER_IDS, type ProviderId, REASONING_EFFORTS, type ReasoningEffort, type ReasoningOptions } from '@app/ai';

export const MAX_MESSAGE_CHARS = 32_000;

/** The text of a user's message, as every request that writes one validates it. */
const MessageText = (description: string, example?: string) =>
  applyDecorators(
    ApiProperty({ minLength: 1, maxLength: MAX_MESSAGE_CHARS, description, ...(example && { example }) }),
    IsString(),
    Length(1, MAX_MESSAGE_CHARS, { message: `message must be between 1 and ${MAX_MESSAGE_CHARS} characters` }),
  );

/** How much a reasoning model may think, mapped to each provider's parameter (see the README's Reasoning section). */
export class ReasoningOptionsDto implements ReasoningOptions {
  @ApiPropertyOptional({ enum: REASONING_EFFORTS, description: 'OpenAI-compatible: reasoning_effort; Anthropic and Gemini: a thinking budget of 2048, 8192 or 24576 tokens' })
  @IsOptional()
  @IsIn(REASONING_EFFORTS, { message: `reasoning.effort must be one of ${REASONING_EFFORTS.join(', ')}` })
  effort?: ReasoningEffort;

  @ApiPropertyOptional({ minimum: 1, maximum: 128_000, description: 'Thinking tokens (Anthropic: at least 1024, added to the answer\'s max tokens); OpenAI-compatible: the nearest effort' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(128_000)
  budgetTokens?: number;
}

/** What every request that starts a reply may say about it. */
export class GenerationOptionsDto {
  @ApiPropertyOptional({ enum: PROVIDER_IDS, description: "Defaults to the session's provider" })
  @IsOptional()
  @IsIn(PROVIDER_IDS, { message: `provider must be one of ${PROVIDER_IDS.join(', ')}` })
  provider?: ProviderId;

  @ApiPropertyOptional({ example: 'gpt-4o-mini', description: "Defaults to the session's model, then to your saved default model" })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  model?: string;

  @ApiPropertyOptional({ minimum: 0, maximum: 2, example: 0.7 })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(2)
  temperature?: number;

  @ApiPropertyOptional({ type: ReasoningOptionsDto, description: 'Ask a reasoning model to think; its reasoning streams as `reasoning` events' })
  @IsOptional()
  @ValidateNested()
  @Type(() => ReasoningOptionsDto)
  reasoning?: ReasoningOptionsDto;

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

  @ApiPropertyOptional({ format: 'uuid', description: 'Continue this session; omit to start a new one' })
  @IsOptional()
  @IsUUID('all', { message: 'sessionId must be a UUID' })
  sessionId?: string;

  @ApiPropertyOptional({ example: 'normal', maxLength: 32 })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z0-9_-]{1,32}$/, { message: 'mode must be 1-32 lower-case letters, digits, "-" or "_"' })
  mode?: string;
}

export class EditMessageDto extends GenerationOptionsDto {
  @MessageText('The new text of your message')
  content: string;
}
