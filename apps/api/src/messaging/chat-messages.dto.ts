import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, Min, ValidateNested } from 'class-validator';
import { StreamChatDto } from '../chat/dto/stream-chat.dto.js';

/** The service credential every message carries: a personal API key of the user the call acts for. */
export class MessageAuthDto {
  @IsString()
  @Matches(/^sk-chat-[A-Za-z0-9_-]{10,100}$/, { message: 'auth.apiKey must be a personal API key' })
  apiKey: string;
}

export class ChatStreamMessageDto {
  @ValidateNested() @Type(() => MessageAuthDto) auth: MessageAuthDto;
  @ValidateNested() @Type(() => StreamChatDto) request: StreamChatDto;
}

export class SessionsListMessageDto {
  @ValidateNested() @Type(() => MessageAuthDto) auth: MessageAuthDto;
  @IsOptional() @IsInt() @Min(1) @Max(100) limit?: number;
}
