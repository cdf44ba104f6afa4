import { ApiProperty, ApiPropertyOptional, OmitType } from '@nestjs/swagger';
import { type MessageEntity, USER_ROLES, type UserEntity } from '@app/persistence';
import { ApiKeyResponseDto } from '../../api-keys/dto/api-key.dto.js';
import { PresetResponseDto } from '../../presets/dto/preset.dto.js';
import { CredentialResponseDto } from '../../providers/dto/provider-response.dto.js';
import { MessageResponseDto, messageParts, SessionResponseDto } from '../../sessions/dto/session-response.dto.js';

export class ExportedSingleSignOnDto {
  @ApiProperty({ example: 'https://login.example.com/realms/staff' }) issuer: string;
  @ApiProperty() subject: string;
}

export class ExportedProfileDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() email: string;
  @ApiProperty() displayName: string;
  @ApiProperty({ enum: USER_ROLES }) role: string;
  @ApiProperty({ description: 'Whether the account signs in with a password' }) hasPassword: boolean;
  @ApiPropertyOptional({ type: ExportedSingleSignOnDto, nullable: true }) singleSignOn: ExportedSingleSignOnDto | null;
  @ApiProperty() createdAt: Date;
}

export class ExportedProviderDto extends CredentialResponseDto {
  @ApiProperty({ description: 'Whether a key is saved; the key itself is never exported' }) hasKey: boolean;
}

/** A message as the conversation shows it, less what is derived on reading it (its versions, your rating, its usage record). */
export class ExportedMessageDto extends OmitType(MessageResponseDto, ['siblingIds', 'feedback', 'usage'] as const) {}

export class ExportedSessionDto extends SessionResponseDto {
  @ApiProperty({ type: [ExportedMessageDto], description: 'Every message and version, oldest first' }) messages: ExportedMessageDto[];
}

/** The shape of GET /api/auth/me/export (sent as a stream, so its size is not bounded by memory). */
export class AccountExportDto {
  @ApiProperty() exportedAt: Date;
  @ApiProperty({ type: ExportedProfileDto }) user: ExportedProfileDto;
  @ApiProperty({ type: [ExportedProviderDto] }) providers: ExportedProviderDto[];
  @ApiProperty({ type: [ApiKeyResponseDto], description: 'Metadata only: a key secret is never stored, so never exported' }) apiKeys: ApiKeyResponseDto[];
  @ApiProperty({ type: [PresetResponseDto] }) presets: PresetResponseDto[];
  @ApiProperty({ type: [ExportedSessionDto] }) sessions: ExportedSessionDto[];
}

export function mapExportedProfile(user: UserEntity): ExportedProfileDto {
  const { id, email, displayName, role, createdAt, oidcIssuer, oidcSubject } = user;
  return {
    id,
    email,
    displayName,
    role,
    hasPassword: user.passwordHash !== null,
    singleSignOn: oidcIssuer && oidcSubject ? { issuer: oidcIssuer, subject: oidcSubject } : null,
    createdAt,
  };
}

export function mapExportedMessage(message: MessageEntity): ExportedMessageDto {
  const { id, parentId, role, content, status, errorCode, error, provider, model, responseTimeMs, promptTokens, completionTokens, createdAt } = message;
  const parts = messageParts(message);
  return { id, parentId, role, content, parts, status, errorCode, error, provider, model, responseTimeMs, promptTokens, completionTokens, attempts: message.attempts ?? null, createdAt };
}
