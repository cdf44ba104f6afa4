import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsNumber, IsOptional, IsString, IsUUID, Length, Matches, Max, Min } from 'class-validator';
import { PROVIDER_IDS, type ProviderId } from '@app/ai';

export const MAX_MESSAGE_CHARS = 32_000;

export class StreamChatDto {
  @ApiProperty({ minLength: 1, maxLength: MAX_MESSAGE_CHARS, example: 'Hello!' })
  @IsString()
  @Length(1, MAX_MESSAGE_CHARS, { message: `message must be between 1 and ${MAX_MESSAGE_CHARS} characters` })
  message: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Continue this session; omit to start a new one' })
  @IsOptional()
  @IsUUID('all', { message: 'sessionId must be a UUID' })
  sessionId?: string;

  @ApiPropertyOptional({ enum: PROVIDER_IDS, description: "Defaults to the session's provider" })
  @IsOptional()
  @IsIn(PROVIDER_IDS, { message: `provider must be one of ${PROVIDER_IDS.join(', ')}` })
  provider?: ProviderId;

  @ApiPropertyOptional({ example: 'gpt-4o-mini', description: "Defaults to the session's model, then to your saved default model" })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  model?: string;

  @ApiPropertyOptional({ example: 'normal', maxLength: 32 })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z0-9_-]{1,32}$/, { message: 'mode must be 1-32 lower-case letters, digits, "-" or "_"' })
  mode?: string;

  @ApiPropertyOptional({ minimum: 0, maximum: 2, example: 0.7 })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(2)
  temperature?: number;
}
