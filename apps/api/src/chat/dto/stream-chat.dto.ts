import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsNumber, IsOptional, IsString, IsUUID, Length, Matches, Max, Min } from 'class-validator';
import { PROVIDER_IDS, type ProviderId } from '@app/ai';
import { ALIAS_PROVIDER } from '../../model-access/model-policy.js';

export const MAX_MESSAGE_CHARS = 32_000;

/** A provider, or `alias` for a model alias. */
const CHOOSABLE_PROVIDERS = [...PROVIDER_IDS, ALIAS_PROVIDER];

/** The text of a user's message, as every request that writes one validates it. */
const MessageText = (description: string, example?: string) =>
  applyDecorators(
    ApiProperty({ minLength: 1, maxLength: MAX_MESSAGE_CHARS, description, ...(example && { example }) }),
    IsString(),
    Length(1, MAX_MESSAGE_CHARS, { message: `message must be between 1 and ${MAX_MESSAGE_CHARS} characters` }),
  );

/** What every request that starts a reply may say about it. */
export class GenerationOptionsDto {
  @ApiPropertyOptional({ enum: CHOOSABLE_PROVIDERS, description: "Defaults to the session's provider; `alias`: `model` names one of the administrators' aliases" })
  @IsOptional()
  @IsIn(CHOOSABLE_PROVIDERS, { message: `provider must be one of ${CHOOSABLE_PROVIDERS.join(', ')}` })
  provider?: ProviderId | typeof ALIAS_PROVIDER;

  @ApiPropertyOptional({ example: 'gpt-4o-mini', description: "Defaults to the session's model, then to your saved default model; with provider `alias`, the alias's name" })
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
