import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length, MaxLength } from 'class-validator';
import { IsEmailAddress } from '../is-email-address.decorator.js';
import { NewPassword } from './password.rules.js';

export class RegisterDto {
  @ApiProperty({ example: 'ada@example.com', format: 'email' })
  @IsEmailAddress()
  @MaxLength(320)
  email: string;

  @NewPassword()
  password: string;

  @ApiPropertyOptional({ maxLength: 100, example: 'Ada' })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  displayName?: string;
}
