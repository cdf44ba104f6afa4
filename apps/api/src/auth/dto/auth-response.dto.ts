import { ApiProperty } from '@nestjs/swagger';
import { USER_ROLES, type UserEntity, type UserRole } from '@app/persistence';
import type { IssuedSession } from '../auth.service.js';

export class UserResponseDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty()
  email: string;

  @ApiProperty()
  displayName: string;

  @ApiProperty({ enum: USER_ROLES, description: 'What the account may do; an SSO sign-in may change it (OIDC_ROLES_CLAIM)' })
  role: UserRole;

  @ApiProperty()
  createdAt: Date;
}

export class AuthResponseDto {
  @ApiProperty({ type: UserResponseDto })
  user: UserResponseDto;

  @ApiProperty({ description: 'Bearer token for the Authorization header' })
  accessToken: string;

  @ApiProperty({ description: 'Seconds until the access token expires', example: 900 })
  expiresIn: number;

  @ApiProperty({ description: 'Exchange at POST /api/auth/refresh for a new pair; valid once', example: 'rt-chat-…' })
  refreshToken: string;

  @ApiProperty({ description: 'Seconds until the refresh token expires unused', example: 2_592_000 })
  refreshExpiresIn: number;
}

export function mapUser(user: UserEntity): UserResponseDto {
  return { id: user.id, email: user.email, displayName: user.displayName, role: user.role, createdAt: user.createdAt };
}

export function mapSession(session: IssuedSession): AuthResponseDto {
  const { user, accessToken, expiresIn, refreshToken, refreshExpiresIn } = session;
  return { user: mapUser(user), accessToken, expiresIn, refreshToken, refreshExpiresIn };
}
