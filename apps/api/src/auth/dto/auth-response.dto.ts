import { ApiProperty } from '@nestjs/swagger';
import type { UserEntity } from '@app/persistence';

export class UserResponseDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty()
  email: string;

  @ApiProperty()
  displayName: string;

  @ApiProperty()
  createdAt: Date;
}

export class AuthResponseDto {
  @ApiProperty({ type: UserResponseDto })
  user: UserResponseDto;

  @ApiProperty({ description: 'Bearer token for the Authorization header' })
  accessToken: string;

  @ApiProperty({ description: 'Seconds until the token expires' })
  expiresIn: number;
}

export function mapUser(user: UserEntity): UserResponseDto {
  return { id: user.id, email: user.email, displayName: user.displayName, createdAt: user.createdAt };
}
