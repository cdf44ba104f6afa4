import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsNumber, IsObject, IsOptional, IsString, Length, Max, Min, ValidateIf, ValidateNested } from 'class-validator';
import { REASONING_EFFORTS, type ReasoningEffort } from '@app/ai';
import { CHOOSABLE_PROVIDERS } from '../../model-access/model-policy.js';

export const MAX_SYSTEM_PROMPT_CHARS = 8_000;
export const MAX_OUTPUT_TOKENS = 200_000;
export const MAX_REASONING_BUDGET_TOKENS = 200_000;

export class ReasoningDto {
  @ApiPropertyOptional({ enum: REASONING_EFFORTS, description: "Mapped to each provider's reasoning effort" })
  @IsOptional()
  @IsIn(REASONING_EFFORTS, { message: `reasoning.effort must be one of ${REASONING_EFFORTS.join(', ')}` })
  effort?: ReasoningEffort;

  @ApiPropertyOptional({ minimum: 1, maximum: MAX_REASONING_BUDGET_TOKENS, description: 'Tokens the model may spend thinking, where the provider takes a budget' })
  @IsOptional()
  @IsInt({ message: 'reasoning.budgetTokens must be an integer' })
  @Min(1)
  @Max(MAX_REASONING_BUDGET_TOKENS)
  budgetTokens?: number;
}

/*
 * Each setting's rules, in one place for the chat request, a session and a preset. `IsOptional` also lets null
 * through: on a session or a preset, null clears the setting (the server's default applies); in a chat request it
 * is the same as leaving the field out.
 */

export const ProviderSetting = (description: string, nullable = false) =>
  applyDecorators(
    ApiPropertyOptional({ enum: CHOOSABLE_PROVIDERS, description, ...(nullable && { nullable: true }) }),
    nullable ? IsOptional() : ValidateIf((_, value) => value !== undefined),
    IsIn(CHOOSABLE_PROVIDERS, { message: `provider must be one of ${CHOOSABLE_PROVIDERS.join(', ')}` }),
  );

export const ModelSetting = (description: string, nullable = false) =>
  applyDecorators(
    ApiPropertyOptional({ type: String, example: 'gpt-4o-mini', minLength: 1, maxLength: 200, description, ...(nullable && { nullable: true }) }),
    nullable ? IsOptional() : ValidateIf((_, value) => value !== undefined),
    IsString(),
    Length(1, 200, { message: 'model must be between 1 and 200 characters' }),
  );

export const TemperatureSetting = () =>
  applyDecorators(
    ApiPropertyOptional({ type: Number, minimum: 0, maximum: 2, example: 0.7, nullable: true }),
    IsOptional(),
    IsNumber({ allowNaN: false, allowInfinity: false }),
    Min(0),
    Max(2),
  );

export const MaxOutputTokensSetting = () =>
  applyDecorators(
    ApiPropertyOptional({ type: Number, minimum: 1, maximum: MAX_OUTPUT_TOKENS, nullable: true, description: 'The most tokens the reply may have' }),
    IsOptional(),
    IsInt({ message: 'maxOutputTokens must be an integer' }),
    Min(1),
    Max(MAX_OUTPUT_TOKENS),
  );

export const ReasoningSetting = () =>
  applyDecorators(
    ApiPropertyOptional({ type: ReasoningDto, nullable: true, description: 'How much a reasoning model may think' }),
    IsOptional(),
    // Without it an array or a scalar would pass ValidateNested.
    IsObject({ message: 'reasoning must be an object: {effort?, budgetTokens?}' }),
    ValidateNested(),
    Type(() => ReasoningDto),
  );

export const SystemPromptSetting = (description: string) =>
  applyDecorators(
    ApiPropertyOptional({ type: String, minLength: 1, maxLength: MAX_SYSTEM_PROMPT_CHARS, nullable: true, description }),
    IsOptional(),
    IsString(),
    Length(1, MAX_SYSTEM_PROMPT_CHARS, { message: `systemPrompt must be between 1 and ${MAX_SYSTEM_PROMPT_CHARS} characters` }),
  );

/** The settings a session and a preset share besides provider and model, each optional (null clears it). */
export class SessionSettingsDto {
  @SystemPromptSetting('Sent first, as the system message, with every turn')
  systemPrompt?: string | null;

  @TemperatureSetting()
  temperature?: number | null;

  @MaxOutputTokensSetting()
  maxOutputTokens?: number | null;

  @ReasoningSetting()
  reasoning?: ReasoningDto | null;
}

export class ReasoningResponseDto {
  @ApiPropertyOptional({ enum: REASONING_EFFORTS }) effort?: string;
  @ApiPropertyOptional() budgetTokens?: number;
}

/** A session's or a preset's settings as returned: null where the server's default applies. */
export class SettingsResponseDto {
  @ApiProperty({ type: String, nullable: true }) systemPrompt: string | null;
  @ApiProperty({ type: Number, nullable: true }) temperature: number | null;
  @ApiProperty({ type: Number, nullable: true }) maxOutputTokens: number | null;
  @ApiProperty({ type: ReasoningResponseDto, nullable: true }) reasoning: ReasoningResponseDto | null;
}
