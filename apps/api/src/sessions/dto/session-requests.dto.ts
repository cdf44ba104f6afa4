import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, ArrayUnique, IsArray, IsBoolean, IsIn, IsOptional, IsString, IsUUID, Length, Matches, ValidateIf } from 'class-validator';
import type { ProviderId } from '@app/ai';
import { PageQueryDto } from '../../http/page-query.dto.js';
import { ModelSetting, ProviderSetting, SessionSettingsDto } from './session-settings.dto.js';

/** Query strings carry text: only the words `true` and `false` become booleans, anything else fails validation. */
const QueryBoolean = () => Transform(({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value));

export const MAX_TAGS = 20;
export const MAX_TAG_LENGTH = 40;
export const MAX_QUERY_LENGTH = 200;

export class ListSessionsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({
    maxLength: MAX_QUERY_LENGTH,
    description: 'Full-text search over titles and messages (every branch), best match first; every word must match. Words are split on spaces and punctuation, so text without spaces between words (Chinese, Japanese) matches only whole runs',
  })
  @IsOptional()
  @IsString()
  @Length(1, MAX_QUERY_LENGTH, { message: `q must be between 1 and ${MAX_QUERY_LENGTH} characters` })
  @Matches(/\S/, { message: 'q must not be blank' })
  q?: string;

  @ApiPropertyOptional({ type: Boolean, description: 'Archived sessions only (true) or unarchived only (false). Without it the list shows unarchived sessions, a search both' })
  @IsOptional()
  @QueryBoolean()
  @IsBoolean({ message: 'archived must be true or false' })
  archived?: boolean;

  @ApiPropertyOptional({ type: Boolean, description: 'Pinned sessions only (true) or unpinned only (false)' })
  @IsOptional()
  @QueryBoolean()
  @IsBoolean({ message: 'pinned must be true or false' })
  pinned?: boolean;

  @ApiPropertyOptional({ format: 'uuid', description: 'Sessions of this folder only' })
  @IsOptional()
  @IsUUID('all', { message: 'folderId must be a UUID' })
  folderId?: string;
}

export class OrganiseSessionDto extends SessionSettingsDto {
  @ProviderSetting('The provider of the next turns (a turn may still name another)')
  provider?: ProviderId;

  @ModelSetting('The model of the next turns')
  model?: string;

  @ApiPropertyOptional() @IsOptional() @IsBoolean() archived?: boolean;
  @ApiPropertyOptional({ description: 'Pinned sessions come first in the list' }) @IsOptional() @IsBoolean() pinned?: boolean;

  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true, description: 'One of your folders; null takes the session out of its folder' })
  @IsOptional()
  @ValidateIf((_, value) => value !== null)
  @IsUUID('all', { message: 'folderId must be a UUID or null' })
  folderId?: string | null;

  @ApiPropertyOptional({ type: [String], maxItems: MAX_TAGS, description: `Replaces the tags: at most ${MAX_TAGS}, each 1 to ${MAX_TAG_LENGTH} characters, no repeats` })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_TAGS, { message: `at most ${MAX_TAGS} tags` })
  @ArrayUnique({ message: 'tags must not repeat' })
  @IsString({ each: true })
  @Length(1, MAX_TAG_LENGTH, { each: true, message: `each tag must be between 1 and ${MAX_TAG_LENGTH} characters` })
  @Matches(/^\S(.*\S)?$/s, { each: true, message: 'tags must not be blank or start or end with spaces' })
  tags?: string[];
}

export class RenameSessionDto {
  @ApiProperty({ minLength: 1, maxLength: 200 })
  @IsString()
  @Length(1, 200, { message: 'title must be between 1 and 200 characters' })
  @Matches(/\S/, { message: 'title must not be blank' })
  title: string;
}

export const MESSAGE_VIEWS = ['branch', 'all'] as const;

export class ListMessagesQueryDto {
  @ApiPropertyOptional({ enum: MESSAGE_VIEWS, default: 'branch', description: '`branch`: the conversation shown; `all`: every version of every turn' })
  @IsOptional()
  @IsIn(MESSAGE_VIEWS, { message: `view must be one of ${MESSAGE_VIEWS.join(', ')}` })
  view: (typeof MESSAGE_VIEWS)[number] = 'branch';
}

export class SelectBranchDto {
  @ApiProperty({ format: 'uuid', description: 'A message of the session, typically one of `siblingIds`; the branch continues with its newest replies' })
  @IsUUID('all', { message: 'messageId must be a UUID' })
  messageId: string;
}
