import { IntersectionType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsObject, IsString, IsUUID, Matches, ValidateNested } from 'class-validator';
import { StreamChatDto } from '../chat/dto/stream-chat.dto.js';
import { ListMessagesQueryDto, ListSessionsQueryDto, RenameSessionDto } from '../sessions/dto/session-requests.dto.js';

/** The service credential every message carries: a personal API key of the user the call acts for. */
export class MessageAuthDto {
  @IsString()
  @Matches(/^sk-chat-[A-Za-z0-9_-]{10,100}$/, { message: 'auth.apiKey must be a personal API key' })
  apiKey: string;
}

/**
 * `@ValidateNested` alone lets a missing field through (and validates an array's items as if each were the
 * object): `@IsObject` makes a missing, null, array or scalar field a 400 before anything reads it.
 */
export class AuthenticatedMessageDto {
  @IsObject({ message: 'auth must be an object with apiKey' })
  @ValidateNested()
  @Type(() => MessageAuthDto)
  auth: MessageAuthDto;
}

export class ChatStreamMessageDto extends AuthenticatedMessageDto {
  @IsObject({ message: 'request must be an object, the body of POST /api/chat/stream' })
  @ValidateNested()
  @Type(() => StreamChatDto)
  request: StreamChatDto;
}

/** A message about one of the user's sessions. */
export class SessionMessageDto extends AuthenticatedMessageDto {
  @IsUUID('all', { message: 'sessionId must be a UUID' })
  sessionId: string;
}

/** The HTTP query and body rules, with the credential (and session) every message carries. */
export class SessionsListMessageDto extends IntersectionType(AuthenticatedMessageDto, ListSessionsQueryDto) {}
export class SessionMessagesMessageDto extends IntersectionType(SessionMessageDto, ListMessagesQueryDto) {}
export class SessionRenameMessageDto extends IntersectionType(SessionMessageDto, RenameSessionDto) {}
