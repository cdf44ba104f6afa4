import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsOptional, IsString, IsUrl, Length, Matches, MaxLength } from 'class-validator';
import { PROVIDER_IDS } from '@app/ai';
import { CONNECTION_LIMITS } from '@app/common';
import { CONNECTION_SOURCES, type ProviderConnectionEntity } from '@app/persistence';

const { nameLength, models, modelLength, baseUrlLength } = CONNECTION_LIMITS;

const ProviderField = () => IsIn(PROVIDER_IDS, { message: `provider must be one of ${PROVIDER_IDS.join(', ')}` });
const NameField = () => applyDecorators(IsString(), Length(1, nameLength), Matches(/\S/, { message: 'name must not be blank' }));

class ConnectionFieldsDto {
  @ApiPropertyOptional({ description: 'Stored encrypted, never returned; omit to keep the stored key', example: 'sk-...' })
  @IsOptional()
  @IsString()
  @Matches(CONNECTION_LIMITS.apiKeyPattern, { message: 'apiKey must be 1-512 printable ASCII characters without spaces' })
  apiKey?: string;

  @ApiPropertyOptional({ type: String, nullable: true, description: "Overrides the provider's default endpoint; null: the default", example: 'https://api.example.com/v1' })
  @IsOptional()
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false, allow_underscores: true }, { message: 'baseUrl must be an http(s) URL' })
  @MaxLength(baseUrlLength)
  baseUrl?: string | null;

  @ApiPropertyOptional({ type: [String], nullable: true, maxItems: models, description: 'The models it serves; empty or null: any model of the provider' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(models)
  @IsString({ each: true })
  @Length(1, modelLength, { each: true })
  models?: string[] | null;

  @ApiPropertyOptional({ default: true })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;
}

export class CreateConnectionDto extends ConnectionFieldsDto {
  @ApiProperty({ enum: PROVIDER_IDS })
  @ProviderField()
  provider: string;

  @ApiProperty({ example: 'OpenAI (team key)', maxLength: nameLength })
  @NameField()
  name: string;
}

/** Every field optional: an omitted key keeps the stored one, `baseUrl: null` and `models: null` clear theirs. */
export class UpdateConnectionDto extends ConnectionFieldsDto {
  @ApiPropertyOptional({ enum: PROVIDER_IDS, description: 'Changing it needs the new provider\'s key' })
  @IsOptional()
  @ProviderField()
  provider?: string;

  @ApiPropertyOptional({ maxLength: nameLength })
  @IsOptional()
  @NameField()
  name?: string;
}

export class ConnectionDto {
  @ApiProperty({ description: 'A uuid, or the stable id CONNECTIONS_FILE gives it', example: 'openai-main' }) id: string;
  @ApiProperty({ enum: PROVIDER_IDS }) provider: string;
  @ApiProperty() name: string;
  @ApiPropertyOptional({ type: String, nullable: true, example: 'sk-…abcd', description: 'Masked; the key itself is never returned' })
  apiKey: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) baseUrl: string | null;
  @ApiProperty({ type: [String], description: 'Empty: any model of the provider' }) models: string[];
  @ApiProperty() enabled: boolean;
  @ApiProperty({ enum: CONNECTION_SOURCES, description: '`file`: from CONNECTIONS_FILE, read-only here (409 CONNECTION_READ_ONLY)' }) managedBy: string;
  @ApiProperty() createdAt: Date;
  @ApiProperty() updatedAt: Date;
}

export class ConnectionListDto {
  @ApiProperty({ type: [ConnectionDto] }) connections: ConnectionDto[];
}

export class ConnectionDeletedDto {
  @ApiProperty() id: string;
  @ApiProperty({ example: true }) deleted: true;
}

export function mapConnection(connection: ProviderConnectionEntity): ConnectionDto {
  return {
    id: connection.id,
    provider: connection.provider,
    name: connection.name,
    apiKey: connection.apiKeyHint,
    baseUrl: connection.baseUrl,
    models: connection.models,
    enabled: connection.enabled,
    managedBy: connection.source,
    createdAt: connection.createdAt,
    updatedAt: connection.updatedAt,
  };
}
