import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsOptional, IsString, Length, MaxLength } from 'class-validator';

export class RegisterDto {
  @ApiProperty({ example: 'ada@example.com' })
  @IsEmail({}, { message: 'email must be a valid e-mail address' })
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
