import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length, MaxLength } from 'class-validator';
import { IsEmailAddress } from '../is-email-address.decorator.js';

export class RegisterDto {
  @ApiProperty({ example: 'ada@example.com', format: 'email' })
  @IsEmailAddress()
  @MaxLength(320)
  email: string;

  @ApiProperty({ minLength: 8, maxLength: 256, example: 'correct horse battery' })
  @IsString()
  @Length(8, 256, { message: 'password must be between 8 and 256 characters' })
  password: string;

  @ApiPropertyOptional({ maxLength: 100, example: 'Ada' })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  displayName?: string;
}
