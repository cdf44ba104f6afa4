import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length } from 'class-validator';
import { USER_ROLES, type UserEntity, type UserRole } from '@app/persistence';
import { PageQueryDto } from '../../http/page-query.dto.js';

const ROLE_MESSAGE = `role must be one of ${USER_ROLES.join(', ')}`;

export class ListUsersQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Part of the e-mail or display name (taken literally, any case)', maxLength: 100 })
  @IsOptional()
  @IsString()
  @Length(1, 100, { message: 'search must be between 1 and 100 characters' })
  search?: string;

  @ApiPropertyOptional({ enum: USER_ROLES })
  @IsOptional()
  @IsIn(USER_ROLES, { message: ROLE_MESSAGE })
  role?: UserRole;

}

export class ChangeRoleDto {
  @ApiProperty({ enum: USER_ROLES })
  @IsIn(USER_ROLES, { message: ROLE_MESSAGE })
  role: UserRole;
}

export class AdminUserDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() email: string;
  @ApiProperty() displayName: string;
  @ApiProperty({ enum: USER_ROLES }) role: UserRole;
  @ApiPropertyOptional({ type: Date, nullable: true, description: 'When an administrator disabled the account; null while it is enabled' })
  disabledAt: Date | null;
  @ApiProperty({ description: 'Signs in through single sign-on' }) sso: boolean;
  @ApiProperty({ description: 'Has a password it can sign in with' }) password: boolean;
  @ApiProperty() createdAt: Date;
}

export class AdminUserPageDto {
  @ApiProperty({ type: [AdminUserDto] }) users: AdminUserDto[];
  @ApiPropertyOptional({ type: String, description: 'Pass as `cursor` to get the next page; null on the last page', nullable: true })
  nextCursor: string | null;
}

export class UserDeletedDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() deleted: true;
}

export function mapAdminUser(user: UserEntity): AdminUserDto {
  return {
    id: user.id,
    email: user.email,
    displayName: user.displayName,
    role: user.role,
    disabledAt: user.disabledAt,
    sso: user.oidcSubject !== null,
    password: user.passwordHash !== null,
    createdAt: user.createdAt,
  };
}
