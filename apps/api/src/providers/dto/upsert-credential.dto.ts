import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, IsUrl, Length, Matches, MaxLength } from 'class-validator';

export class UpsertCredentialDto {
  @ApiPropertyOptional({ description: 'Stored encrypted, never returned; omit to keep the stored key', example: 'sk-...' })
  @IsOptional()
  @IsString()
  @Length(1, 512)
  @Matches(/^[\x21-\x7e]+$/, { message: 'apiKey must be printable ASCII without spaces' })
  apiKey?: string;

  @ApiPropertyOptional({ description: "Overrides the provider's default endpoint (https only unless the operator allows http)", example: 'https://api.example.com/v1' })
  @IsOptional()
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false, allow_underscores: true }, { message: 'baseUrl must be an http(s) URL' })
  @MaxLength(2048)
  baseUrl?: string;

  @ApiPropertyOptional({ example: 'gpt-4o-mini' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  defaultModel?: string;
}
