import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsDefined, IsString, Length, Matches, ValidateIf } from 'class-validator';
import type { ProviderId } from '@app/ai';
import type { PresetEntity } from '@app/persistence';
import { PageQueryDto } from '../../http/page-query.dto.js';
import { ModelSetting, ProviderSetting, SessionSettingsDto, SettingsResponseDto } from '../../sessions/dto/session-settings.dto.js';

export const MAX_PRESET_NAME_LENGTH = 100;

const PresetName = (required: boolean) =>
  applyDecorators(
    (required ? ApiProperty : ApiPropertyOptional)({ minLength: 1, maxLength: MAX_PRESET_NAME_LENGTH, example: 'Terse reviewer' }),
    required ? IsDefined({ message: 'name is required' }) : ValidateIf((_, value) => value !== undefined),
    IsString(),
    Length(1, MAX_PRESET_NAME_LENGTH, { message: `name must be between 1 and ${MAX_PRESET_NAME_LENGTH} characters` }),
    Matches(/^\S(.*\S)?$/s, { message: 'name must not be blank or start or end with spaces' }),
  );

/** A preset's settings: each optional, null clears one (PATCH) or leaves it to the request and the server. */
class PresetSettingsDto extends SessionSettingsDto {
  @ProviderSetting('The provider of sessions started from it; null: the one the chat request names', true)
  provider?: ProviderId | null;

  @ModelSetting("The model of those sessions; null: the request's, else your saved default", true)
  model?: string | null;
}

export class CreatePresetDto extends PresetSettingsDto {
  @PresetName(true)
  name: string;
}

/** Fields left out stay as they are. */
export class UpdatePresetDto extends PresetSettingsDto {
  @PresetName(false)
  name?: string;
}

export class ListPresetsQueryDto extends PageQueryDto {}

export class PresetResponseDto extends SettingsResponseDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ type: String, nullable: true, example: 'openai' }) provider: string | null;
  @ApiProperty({ type: String, nullable: true }) model: string | null;
  @ApiProperty() createdAt: Date;
  @ApiProperty() updatedAt: Date;
}

export class PresetPageDto {
  @ApiProperty({ type: [PresetResponseDto], description: 'Oldest first' }) presets: PresetResponseDto[];
  @ApiPropertyOptional({ type: String, nullable: true, description: 'Pass as `cursor` to get the next page; null on the last page' }) nextCursor: string | null;
}

export function mapPreset(preset: PresetEntity): PresetResponseDto {
  const { id, name, provider, model, systemPrompt, temperature, maxOutputTokens, reasoning, createdAt, updatedAt } = preset;
  return { id, name, provider, model, systemPrompt, temperature, maxOutputTokens, reasoning, createdAt, updatedAt };
}
