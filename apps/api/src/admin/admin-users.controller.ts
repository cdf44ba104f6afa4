import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiConflictResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Origin, type RequestOrigin } from '../audit/request-origin.decorator.js';
import type { AuthUser } from '../auth/auth-user.js';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { Roles } from '../auth/roles.decorator.js';
import { UuidParam } from '../http/uuid-param.decorator.js';
import { AdminUsersService } from './admin-users.service.js';
import { AdminUserDto, AdminUserPageDto, ChangeRoleDto, ListUsersQueryDto, mapAdminUser, UserDeletedDto } from './dto/admin-users.dto.js';

const UserId = () => UuidParam('id');
const LAST_ADMIN = 'LAST_ADMIN: the account is the last enabled admin';

@ApiTags('admin')
@ApiBearerAuth()
@Roles('admin')
@ApiNotFoundResponse({ description: 'No such user' })
@Controller('admin/users')
export class AdminUsersController {
  constructor(private readonly users: AdminUsersService) {}

  @Get()
  @ApiOkResponse({ type: AdminUserPageDto, description: 'Newest first' })
  async list(@Query() query: ListUsersQueryDto): Promise<AdminUserPageDto> {
    const page = await this.users.list({ search: query.search, role: query.role }, query.limit, query.cursor);
    return { users: page.users.map(mapAdminUser), nextCursor: page.nextCursor };
  }

  @Get(':id')
  @ApiOkResponse({ type: AdminUserDto })
  async get(@UserId() id: string): Promise<AdminUserDto> {
    return mapAdminUser(await this.users.get(id));
  }

  @Patch(':id/role')
  @ApiOkResponse({ type: AdminUserDto, description: 'Applies from the next request on, on every replica' })
  @ApiConflictResponse({ description: LAST_ADMIN })
  async setRole(@CurrentUser() admin: AuthUser, @UserId() id: string, @Body() dto: ChangeRoleDto, @Origin() origin: RequestOrigin): Promise<AdminUserDto> {
    return mapAdminUser(await this.users.setRole(admin, id, dto.role, origin));
  }

  @Post(':id/disable')
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: AdminUserDto, description: 'Its tokens and API keys stop working at once and its live replies end' })
  @ApiConflictResponse({ description: LAST_ADMIN })
  async disable(@CurrentUser() admin: AuthUser, @UserId() id: string, @Origin() origin: RequestOrigin): Promise<AdminUserDto> {
    return mapAdminUser(await this.users.disable(admin, id, origin));
  }

  @Post(':id/enable')
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: AdminUserDto, description: 'The account can sign in again (its old tokens stay revoked)' })
  async enable(@CurrentUser() admin: AuthUser, @UserId() id: string, @Origin() origin: RequestOrigin): Promise<AdminUserDto> {
    return mapAdminUser(await this.users.enable(admin, id, origin));
  }

  @Delete(':id')
  @ApiOkResponse({ type: UserDeletedDto, description: 'The account and everything it owns are gone' })
  @ApiConflictResponse({ description: LAST_ADMIN })
  async remove(@CurrentUser() admin: AuthUser, @UserId() id: string, @Origin() origin: RequestOrigin): Promise<UserDeletedDto> {
    await this.users.remove(admin, id, origin);
    return { id, deleted: true };
  }
}
