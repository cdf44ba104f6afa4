import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length } from 'class-validator';

export class StopResultDto {
  @ApiProperty({ description: 'false when no reply was being generated (stopping is idempotent)' })
  stopped: boolean;
}

export class StreamTokenDto {
  @ApiProperty({ description: 'Pass as `?token=` to GET /api/chat/sessions/{id}/stream; valid for this session only' })
  token: string;

  @ApiProperty()
  expiresAt: Date;
}

export class FollowStreamQueryDto {
  @ApiPropertyOptional({ description: 'A stream token from POST .../stream-token, for clients that cannot send headers (EventSource)' })
  @IsOptional()
  @IsString()
  @Length(1, 2048)
  token?: string;

  @ApiPropertyOptional({ description: 'The id of the last event received, for clients that cannot send the Last-Event-ID header' })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  lastEventId?: string;
}
