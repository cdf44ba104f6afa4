import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { ChatSessionEntity, MessageEntity } from '@app/persistence';
import { MESSAGE_ROLES, MESSAGE_STATUSES } from '@app/persistence';

export class SessionResponseDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() title: string;
  @ApiProperty({ example: 'openai' }) provider: string;
  @ApiProperty({ example: 'gpt-4o-mini' }) model: string;
  @ApiProperty({ example: 'normal' }) mode: string;
  @ApiProperty() createdAt: Date;
  @ApiProperty() updatedAt: Date;
}

export class SessionPageDto {
  @ApiProperty({ type: [SessionResponseDto] }) sessions: SessionResponseDto[];
  @ApiPropertyOptional({ description: 'Pass as `cursor` to get the next page; absent on the last page', nullable: true })
  nextCursor: string | null;
}

export class MessageResponseDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiPropertyOptional({ format: 'uuid', nullable: true, description: 'The message this one follows' }) parentId: string | null;
  @ApiProperty({ type: [String], description: 'Every version of this turn (edits, regenerations), oldest first, itself included' })
  siblingIds: string[];
  @ApiProperty({ enum: MESSAGE_ROLES }) role: string;
  @ApiProperty() content: string;
  @ApiProperty({ enum: MESSAGE_STATUSES }) status: string;
  @ApiPropertyOptional({ nullable: true, example: 'upstream_rate_limited' }) errorCode: string | null;
  @ApiPropertyOptional({ nullable: true }) error: string | null;
  @ApiPropertyOptional({ nullable: true }) provider: string | null;
  @ApiPropertyOptional({ nullable: true }) model: string | null;
  @ApiPropertyOptional({ nullable: true }) responseTimeMs: number | null;
  @ApiPropertyOptional({ nullable: true }) promptTokens: number | null;
  @ApiPropertyOptional({ nullable: true }) completionTokens: number | null;
  @ApiProperty() createdAt: Date;
}

export class MessageListDto {
  @ApiProperty({ type: [MessageResponseDto] }) messages: MessageResponseDto[];
}

export class DeletedDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: true }) deleted: true;
}

export function mapSession(session: ChatSessionEntity): SessionResponseDto {
  const { id, title, provider, model, mode, createdAt, updatedAt } = session;
  return { id, title, provider, model, mode, createdAt, updatedAt };
}

export function mapMessage(message: MessageEntity, siblingIds: string[]): MessageResponseDto {
  const { id, parentId, role, content, status, errorCode, error, provider, model, responseTimeMs, promptTokens, completionTokens, createdAt } = message;
  return { id, parentId, siblingIds, role, content, status, errorCode, error, provider, model, responseTimeMs, promptTokens, completionTokens, createdAt };
}

/** A list of messages, each with the versions of its turn (SessionsService.messagesOf and selectBranch). */
export function mapMessageList(listed: { message: MessageEntity; siblingIds: string[] }[]): MessageListDto {
  return { messages: listed.map(({ message, siblingIds }) => mapMessage(message, siblingIds)) };
}

export function mapSessionPage(page: { sessions: ChatSessionEntity[]; nextCursor: string | null }): SessionPageDto {
  return { sessions: page.sessions.map(mapSession), nextCursor: page.nextCursor };
}
