import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsOptional, IsString, Length } from 'class-validator';
import { AppError } from '@app/common';
import { GenerationOptionsDto, MAX_MESSAGE_CHARS } from './stream-chat.dto.js';

export const UI_TRIGGERS = ['submit-message', 'regenerate-message'] as const;

/** The body the AI SDK's `useChat` (DefaultChatTransport) posts, with our generation options in its `body`. */
export class UiChatRequestDto extends GenerationOptionsDto {
  @ApiProperty({ description: 'The chat id: one of your session ids continues that session; any other id starts a new one' })
  @IsString()
  @Length(1, 200)
  id: string;

  @ApiProperty({ type: 'array', items: { type: 'object' }, description: 'UI messages (`{id, role, parts}`); only the last one is read, the rest is recorded already' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  messages: unknown[];

  @ApiProperty({ enum: UI_TRIGGERS })
  @IsIn(UI_TRIGGERS, { message: `trigger must be one of ${UI_TRIGGERS.join(', ')}` })
  trigger: (typeof UI_TRIGGERS)[number];

  @ApiPropertyOptional({ description: 'The message regenerated (ignored: the last answer of the session is)' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  messageId?: string;
}

/** The text of the last UI message, which must be the user's: its text parts joined. */
export function lastUserText(messages: unknown[]): string {
  const last = messages.at(-1) as { role?: unknown; parts?: unknown } | undefined;
  const parts = Array.isArray(last?.parts) ? (last.parts as { type?: unknown; text?: unknown }[]) : [];
  const text = parts.map((part) => (part?.type === 'text' && typeof part.text === 'string' ? part.text : '')).join('');
  if (last?.role !== 'user' || text.length === 0 || text.length > MAX_MESSAGE_CHARS) {
    throw new AppError('VALIDATION_FAILED', `The last message must be a user message with 1 to ${MAX_MESSAGE_CHARS} characters of text parts`);
  }
  return text;
}
