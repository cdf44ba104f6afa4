import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import type { SharedLinkInfo, SharedSnapshot } from '@app/persistence';

/** A year: a link meant to last longer should be made again. */
export const MAX_SHARE_SECONDS = 31_536_000;

export class CreateSharedLinkDto {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_SHARE_SECONDS, description: 'The link stops working after this many seconds; without it, only revoking ends it' })
  @IsOptional()
  @IsInt({ message: 'expiresInSeconds must be a whole number' })
  @Min(1, { message: 'expiresInSeconds must be at least 1' })
  @Max(MAX_SHARE_SECONDS, { message: `expiresInSeconds must be at most ${MAX_SHARE_SECONDS}` })
  expiresInSeconds?: number;
}

export class SharedLinkDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) sessionId: string;
  @ApiProperty() createdAt: Date;
  @ApiPropertyOptional({ type: Date, nullable: true }) expiresAt: Date | null;
}

export class CreatedSharedLinkDto extends SharedLinkDto {
  @ApiProperty({ description: 'Shown only in this answer' }) token: string;
  @ApiProperty({ example: '/api/shared/3q2-…', description: 'Readable without signing in, until it expires or is revoked' }) url: string;
}

export class SharedLinkListDto {
  @ApiProperty({ type: [SharedLinkDto], description: 'Live links, newest first' }) links: SharedLinkDto[];
}

export class SharedMessageDto {
  @ApiProperty({ enum: ['system', 'user', 'assistant'] }) role: string;
  @ApiProperty() content: string;
  @ApiProperty() createdAt: string;
}

export class SharedConversationDto {
  @ApiProperty() title: string;
  @ApiProperty({ type: [SharedMessageDto], description: 'The branch shown when the link was made, oldest first' }) messages: SharedMessageDto[];
  @ApiProperty() sharedAt: Date;
  @ApiPropertyOptional({ type: Date, nullable: true }) expiresAt: Date | null;
}

export function mapSharedLink(link: SharedLinkInfo): SharedLinkDto {
  const { id, sessionId, createdAt, expiresAt } = link;
  return { id, sessionId, createdAt, expiresAt };
}

export function mapSharedConversation(snapshot: SharedSnapshot, sharedAt: Date, expiresAt: Date | null): SharedConversationDto {
  return { title: snapshot.title, messages: snapshot.messages.map(({ role, content, createdAt }) => ({ role, content, createdAt })), sharedAt, expiresAt };
}
