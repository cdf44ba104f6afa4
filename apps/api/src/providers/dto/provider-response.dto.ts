import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { ProviderCredentialEntity } from '@app/persistence';
import { PROVIDER_KINDS, type ProviderInfo } from '@app/ai';
import type { ProviderAccess } from '../providers.service.js';

const PROVIDER_ACCESS = ['own_key', 'organisation', 'keyless'];

export class ModelInfoDto {
  @ApiProperty({ example: 'gpt-4o-mini' }) id: string;
  @ApiPropertyOptional() description?: string;
}

export class ProviderSummaryDto {
  @ApiProperty({ example: 'openai' }) id: string;
  @ApiProperty({ example: 'OpenAI' }) label: string;
  @ApiProperty({ enum: PROVIDER_KINDS, description: 'Wire format spoken' }) kind: string;
  @ApiProperty({ description: 'Whether you have saved settings for it' }) configured: boolean;
  @ApiProperty({ description: 'Whether your turns can use it now' }) available: boolean;
  @ApiPropertyOptional({
    enum: PROVIDER_ACCESS,
    nullable: true,
    description: "Through what: your own key, an organisation connection (when you have no key of your own, or ALLOW_USER_KEYS=false), or no key needed; null when unavailable",
  })
  via: ProviderAccess;
  @ApiProperty() requiresKey: boolean;
  @ApiProperty() requiresBaseUrl: boolean;
  @ApiPropertyOptional({ type: String, nullable: true }) defaultBaseUrl: string | null;
  @ApiProperty({ type: [ModelInfoDto] }) models: ModelInfoDto[];
}

export class ProviderListDto {
  @ApiProperty({ type: [ProviderSummaryDto] }) providers: ProviderSummaryDto[];
}

export class CredentialResponseDto {
  @ApiProperty({ example: 'openai' }) provider: string;
  @ApiPropertyOptional({ type: String, nullable: true, example: 'sk-…abcd', description: 'Masked; the key itself is never returned' })
  apiKey: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) baseUrl: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) defaultModel: string | null;
  @ApiProperty() updatedAt: Date;
}

export class CredentialDeletedDto {
  @ApiProperty() provider: string;
  @ApiProperty({ example: true }) deleted: true;
}

export function mapCredential(credential: ProviderCredentialEntity): CredentialResponseDto {
  return {
    provider: credential.provider,
    apiKey: credential.apiKeyHint,
    baseUrl: credential.baseUrl,
    defaultModel: credential.defaultModel,
    updatedAt: credential.updatedAt,
  };
}

export function mapProvider(info: ProviderInfo, configured: boolean, access: ProviderAccess): ProviderSummaryDto {
  return {
    id: info.id,
    label: info.label,
    kind: info.kind,
    configured,
    available: access !== null,
    via: access,
    requiresKey: info.requiresKey,
    requiresBaseUrl: info.requiresBaseUrl,
    defaultBaseUrl: info.defaultBaseUrl ?? null,
    models: info.models.map(({ id, description }) => ({ id, ...(description && { description }) })),
  };
}
