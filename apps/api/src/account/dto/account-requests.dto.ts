import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length, Matches, MaxLength } from 'class-validator';
import { GivenPassword, NewPassword } from '../../auth/dto/password.rules.js';

export class ChangePasswordDto {
  @GivenPassword()
  currentPassword: string;

  @NewPassword()
  newPassword: string;
}

export class UpdateProfileDto {
  @ApiProperty({ minLength: 1, maxLength: 100, example: 'Ada Lovelace' })
  @IsString()
  @Length(1, 100)
  @Matches(/\S/, { message: 'displayName must not be blank' })
  displayName: string;
}

export class DeleteAccountDto {
  @ApiPropertyOptional({ maxLength: 256, description: 'Required for an account that has a password; single sign-on accounts send none' })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  password?: string;
}
