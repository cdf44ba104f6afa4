import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { MESSAGE_PART_TYPES, MESSAGE_ROLES, type SharedLinkInfo, type SharedPart, type SharedSnapshot } from '@app/persistence';

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

export class SharedPartDto {
  @ApiProperty({ enum: MESSAGE_PART_TYPES, description: 'More kinds may come: skip the ones you do not know' }) type: string;
  @ApiPropertyOptional({ description: "`text` and `reasoning`: the answer's text, or the model's reasoning (without the provider's signature)" }) text?: string;
  @ApiPropertyOptional({ description: '`tool_call`: the call id, which a `tool_result` answers' }) id?: string;
  @ApiPropertyOptional({ description: '`tool_call`: the function called' }) name?: string;
  @ApiPropertyOptional({ description: "`tool_call`: the model's arguments, JSON text as it came" }) arguments?: string;
  @ApiPropertyOptional({ description: '`tool_result`: the call answered' }) toolCallId?: string;
  @ApiPropertyOptional({ description: "`tool_result`: the tool's output" }) content?: string;
  @ApiPropertyOptional({ example: 'image/png', description: '`file`: its type (the file itself is not shared)' }) mediaType?: string;
  @ApiPropertyOptional({ description: '`file`: its name as uploaded' }) filename?: string;
}

export class SharedMessageDto {
  @ApiProperty({ enum: MESSAGE_ROLES }) role: string;
  @ApiProperty({ description: "The plain text (a reply's answer, without its reasoning)" }) content: string;
  @ApiProperty({ type: [SharedPartDto], description: 'The message in order: text, reasoning, tool calls and results, files by name' }) parts: SharedPartDto[];
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
  const messages = snapshot.messages.map(({ role, content, parts, createdAt }) => ({ role, content, parts: parts ?? textOnly(content), createdAt }));
  return { title: snapshot.title, messages, sharedAt, expiresAt };
}

/** A message of a link made before parts: its content as one text part, as the sessions API shows such a message. */
function textOnly(content: string): SharedPart[] {
  return content ? [{ type: 'text', text: content }] : [];
}
