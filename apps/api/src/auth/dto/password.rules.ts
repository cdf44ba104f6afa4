import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length, MaxLength } from 'class-validator';

/** The rule for a password being chosen (registration, password change): one rule, one message. */
export const NewPassword = () =>
  applyDecorators(
    ApiProperty({ minLength: 8, maxLength: 256, example: 'correct horse battery' }),
    IsString(),
    Length(8, 256, { message: '$property must be between 8 and 256 characters' }),
  );

/** A password being checked (login, confirmation): any length a chosen one may have had, bounded. */
export const GivenPassword = () => applyDecorators(ApiProperty({ maxLength: 256, example: 'correct horse battery' }), IsString(), MaxLength(256));
