import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUUID, Length, Matches, Max, Min } from 'class-validator';

export class ListSessionsQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit: number = 20;

  @ApiPropertyOptional({ description: 'nextCursor from the previous page' })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,200}$/, { message: 'cursor is not valid' })
  cursor?: string;
}

export class RenameSessionDto {
  @ApiProperty({ minLength: 1, maxLength: 200 })
  @IsString()
  @Length(1, 200, { message: 'title must be between 1 and 200 characters' })
  @Matches(/\S/, { message: 'title must not be blank' })
  title: string;
}

export const MESSAGE_VIEWS = ['branch', 'all'] as const;

export class ListMessagesQueryDto {
  @ApiPropertyOptional({ enum: MESSAGE_VIEWS, default: 'branch', description: '`branch`: the conversation shown; `all`: every version of every turn' })
  @IsOptional()
  @IsIn(MESSAGE_VIEWS, { message: `view must be one of ${MESSAGE_VIEWS.join(', ')}` })
  view: (typeof MESSAGE_VIEWS)[number] = 'branch';
}

export class SelectBranchDto {
  @ApiProperty({ format: 'uuid', description: 'A message of the session, typically one of `siblingIds`; the branch continues with its newest replies' })
  @IsUUID('all', { message: 'messageId must be a UUID' })
  messageId: string;
}
