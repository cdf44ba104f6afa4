import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { ChatSessionEntity, MessageUsageRow } from '@app/persistence';
import { SettingsResponseDto } from './session-settings.dto.js';
import type { ListedMessage, ListedSession, SessionPage } from '../sessions.service.js';
import { MESSAGE_PART_TYPES, MESSAGE_ROLES, MESSAGE_STATUSES, type MessageEntity, type MessagePart } from '@app/persistence';

export class SessionResponseDto extends SettingsResponseDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ description: 'The first words of the first message, until a title is generated or you choose one' }) title: string;
  @ApiProperty({ description: 'You chose the title (PUT .../title): a generated one never replaces it' }) titleSetByUser: boolean;
  @ApiProperty({ example: 'openai' }) provider: string;
  @ApiProperty({ example: 'gpt-4o-mini' }) model: string;
  @ApiProperty() archived: boolean;
  @ApiProperty() pinned: boolean;
  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true }) folderId: string | null;
  @ApiProperty({ type: [String] }) tags: string[];
  @ApiProperty() createdAt: Date;
  @ApiProperty({ description: 'Moves with every turn' }) updatedAt: Date;
}

export class SearchMatchDto {
  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true, description: 'The message that matched best; null when the title did' })
  messageId: string | null;
  @ApiProperty({
    maxLength: 300,
    description: 'Plain text (not HTML: escape it before rendering) around the matching words, which are marked «like this»; « and » in the text itself are not escaped',
  })
  snippet: string;
}

export class SessionListItemDto extends SessionResponseDto {
  @ApiProperty({ maxLength: 120, description: 'The first 120 characters of the newest message of the branch shown (of the question while its reply has no text yet)' })
  lastMessagePreview: string;
  @ApiProperty({ description: 'Messages of the session, every version of every turn included' }) messageCount: number;
  @ApiProperty({ description: 'A reply is being generated in this session, on any replica' }) isGenerating: boolean;
  @ApiPropertyOptional({ type: SearchMatchDto, description: 'With `q` only' }) match?: SearchMatchDto;
}

export class SessionPageDto {
  @ApiProperty({ type: [SessionListItemDto], description: 'Pinned first, then newest; with `q`, best match first' }) sessions: SessionListItemDto[];
  @ApiPropertyOptional({ type: String, description: 'Pass as `cursor` to get the next page; absent on the last page', nullable: true })
  nextCursor: string | null;
}

export class MessageFeedbackDto {
  @ApiProperty({ enum: ['up', 'down'] }) rating: string;
  @ApiPropertyOptional({ type: String, nullable: true }) comment: string | null;
}

export class ReplyAttemptDto {
  @ApiProperty({ example: 'openai' }) provider: string;
  @ApiPropertyOptional({ type: String, nullable: true, description: "The organisation connection; null for the user's own key" }) connection: string | null;
  @ApiProperty({ example: 'gpt-4o-mini' }) model: string;
  @ApiProperty({ enum: ['ok', 'failed', 'skipped', 'aborted'], description: '`skipped`: cooling down after an earlier failure' }) status: string;
  @ApiPropertyOptional({ example: 'upstream_rate_limited' }) code?: string;
  @ApiProperty({ description: 'How long the attempt took' }) ms: number;
}

export class MessageUsageDto {
  @ApiProperty({ description: 'Every prompt token, the cached ones included' }) promptTokens: number;
  @ApiProperty({ description: 'Every generated token, the reasoning ones included' }) completionTokens: number;
  @ApiProperty() cachedPromptTokens: number;
  @ApiProperty() reasoningTokens: number;
  @ApiProperty({ description: 'The provider sent no counts: they were estimated with a tokenizer' }) estimated: boolean;
  @ApiPropertyOptional({ type: String, nullable: true, example: '0.000412500', description: 'Exact decimal in `currency`; null when the model had no price' })
  cost: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, example: 'USD' }) currency: string | null;
}

export class PartMetadataDto {
  @ApiPropertyOptional({ description: "Anthropic: the thinking block's signature, sent back verbatim where Anthropic requires it" }) signature?: string;
  @ApiPropertyOptional({ description: 'Anthropic: a redacted_thinking block (opaque, encrypted reasoning)' }) redactedData?: string;
}

export class MessagePartDto {
  @ApiProperty({ enum: MESSAGE_PART_TYPES, description: 'More kinds may come: skip the ones you do not know' }) type: string;
  @ApiPropertyOptional({ description: "`text` and `reasoning`: the answer's text, or the model's reasoning (empty for a redacted block)" }) text?: string;
  @ApiPropertyOptional({ type: PartMetadataDto, description: "`reasoning`: the provider's data for this part" }) metadata?: PartMetadataDto;
  @ApiPropertyOptional({ description: '`tool_call`: the call id, which a `tool_result` answers' }) id?: string;
  @ApiPropertyOptional({ description: '`tool_call`: the function called' }) name?: string;
  @ApiPropertyOptional({ description: "`tool_call`: the model's arguments, JSON text as it came" }) arguments?: string;
  @ApiPropertyOptional({ description: '`tool_result`: the call answered' }) toolCallId?: string;
  @ApiPropertyOptional({ description: "`tool_result`: the tool's output" }) content?: string;
  @ApiPropertyOptional({ format: 'uuid', description: '`file`: the uploaded file (GET /api/files/:id)' }) fileId?: string;
  @ApiPropertyOptional({ example: 'image/png', description: '`file`: its type, checked from its bytes' }) mediaType?: string;
  @ApiPropertyOptional({ description: '`file`: its name as uploaded' }) filename?: string;
}

export class MessageResponseDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true, description: 'The message this one follows' }) parentId: string | null;
  @ApiProperty({ type: [String], description: 'Every version of this turn (edits, regenerations), oldest first, itself included' })
  siblingIds: string[];
  @ApiProperty({ enum: MESSAGE_ROLES }) role: string;
  @ApiProperty({ description: "The plain text of the message (a reply's answer, without its reasoning)" }) content: string;
  @ApiProperty({ type: [MessagePartDto], description: 'The message in order: reasoning and text parts (a plain message is one text part, its content)' })
  parts: MessagePartDto[];
  @ApiProperty({ enum: MESSAGE_STATUSES }) status: string;
  @ApiPropertyOptional({ type: String, nullable: true, example: 'upstream_rate_limited' }) errorCode: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) error: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) provider: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) model: string | null;
  @ApiPropertyOptional({ type: Number, nullable: true }) responseTimeMs: number | null;
  @ApiPropertyOptional({ type: Number, nullable: true }) promptTokens: number | null;
  @ApiPropertyOptional({ type: Number, nullable: true }) completionTokens: number | null;
  @ApiPropertyOptional({ type: [ReplyAttemptDto], nullable: true, description: 'A reply: the route it took, every upstream attempt in order' })
  attempts: ReplyAttemptDto[] | null;
  @ApiPropertyOptional({ type: MessageFeedbackDto, nullable: true, description: 'Your rating of this reply' }) feedback: MessageFeedbackDto | null;
  @ApiPropertyOptional({ type: MessageUsageDto, nullable: true, description: 'What the reply used and cost; null for questions and for a reply still running' })
  usage: MessageUsageDto | null;
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
  const { id, title, titleSetByUser, provider, model, systemPrompt, temperature, maxOutputTokens, reasoning, archived, pinned, folderId, tags, createdAt, updatedAt } = session;
  return { id, title, titleSetByUser, provider, model, systemPrompt, temperature, maxOutputTokens, reasoning, archived, pinned, folderId, tags, createdAt, updatedAt };
}

export function mapListedSession({ session, isGenerating, match }: ListedSession): SessionListItemDto {
  const { lastMessagePreview, messageCount } = session;
  return { ...mapSession(session), lastMessagePreview, messageCount, isGenerating, ...(match && { match }) };
}

export function mapMessage({ message, siblingIds, feedback, usage }: ListedMessage): MessageResponseDto {
  const { id, parentId, role, content, status, errorCode, error, provider, model, responseTimeMs, promptTokens, completionTokens, createdAt } = message;
  const attempts = message.attempts ?? null;
  return {
    ...{ id, parentId, siblingIds, role, content, parts: messageParts(message), status, errorCode, error, provider, model, responseTimeMs, promptTokens },
    ...{ completionTokens, attempts, feedback, usage: usage && mapMessageUsage(usage), createdAt },
  };
}

function mapMessageUsage({ promptTokens, completionTokens, cachedPromptTokens, reasoningTokens, estimated, cost, currency }: MessageUsageRow): MessageUsageDto {
  return { promptTokens, completionTokens, cachedPromptTokens, reasoningTokens, estimated, cost, currency };
}

/** The saved parts; a message saved without them (null) is its content as one text part, or none when empty. */
export function messageParts({ parts, content }: Pick<MessageEntity, 'parts' | 'content'>): MessagePart[] {
  return parts ?? (content ? [{ type: 'text', text: content }] : []);
}

/** A list of messages, each with the versions of its turn (SessionsService.messagesOf and selectBranch). */
export function mapMessageList(listed: ListedMessage[]): MessageListDto {
  return { messages: listed.map(mapMessage) };
}

export function mapSessionPage(page: SessionPage): SessionPageDto {
  return { sessions: page.sessions.map(mapListedSession), nextCursor: page.nextCursor };
}
