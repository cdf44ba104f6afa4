import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';

/** A refresh token presented to be exchanged (refresh) or ended (logout). */
export class RefreshTokenDto {
  @ApiProperty({ example: 'rt-chat-…', description: 'The refresh token of the sign-in', maxLength: 128 })
  @IsString()
  @Length(1, 128)
  refreshToken: string;
}
