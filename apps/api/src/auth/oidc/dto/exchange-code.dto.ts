import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';

export class ExchangeCodeDto {
  @ApiProperty({ description: 'The `code` query parameter the portal received from the single sign-on redirect', minLength: 1, maxLength: 128 })
  @IsString()
  @Length(1, 128)
  code: string;
}
