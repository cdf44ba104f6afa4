import { Body, Controller, Delete, Get, Param, type PipeTransform, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiNotFoundResponse, ApiOkResponse, ApiParam, ApiTags } from '@nestjs/swagger';
import { AppError } from '@app/common';
import { USER_ROLES, type UserRole } from '@app/persistence';
import { Origin, type RequestOrigin } from '../audit/request-origin.decorator.js';
import type { AuthUser } from '../auth/auth-user.js';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { Roles } from '../auth/roles.decorator.js';
import { UuidParam } from '../http/uuid-param.decorator.js';
import { BudgetsService } from './budgets.service.js';
import { BudgetDto, mapBudget, mapRoleBudget, RoleBudgetDto, RoleBudgetRemovedDto, RoleBudgetsDto, SetBudgetDto } from './dto/budgets.dto.js';

const UserId = () => UuidParam('id');

/** A role named in the path: one that does not exist is a resource that does not exist (404), as an unknown id is. */
class ParseRolePipe implements PipeTransform<string, UserRole> {
  transform(value: string): UserRole {
    if (!(USER_ROLES as readonly string[]).includes(value)) throw new AppError('ROLE_NOT_FOUND', `No such role: roles are ${USER_ROLES.join(', ')}`);
    return value as UserRole;
  }
}
const RoleParam = () => Param('role', new ParseRolePipe());

/** Monthly budgets: a default per role, an override per user. Each change is audited and applies from the next reply on. */
@ApiTags('admin')
@ApiBearerAuth()
@Roles('admin')
@Controller('admin')
export class AdminBudgetsController {
  constructor(private readonly budgets: BudgetsService) {}

  @Get('budgets')
  @ApiOkResponse({ type: RoleBudgetsDto })
  async roles(): Promise<RoleBudgetsDto> {
    return { currency: this.budgets.currency, roles: (await this.budgets.roleLimits()).map(mapRoleBudget) };
  }

  @Put('budgets/:role')
  @ApiParam({ name: 'role', enum: USER_ROLES })
  @ApiNotFoundResponse({ description: 'ROLE_NOT_FOUND' })
  @ApiOkResponse({ type: RoleBudgetDto, description: "The role's default monthly budget, for its users without one of their own" })
  async setRole(@CurrentUser() admin: AuthUser, @RoleParam() role: UserRole, @Body() dto: SetBudgetDto, @Origin() origin: RequestOrigin): Promise<RoleBudgetDto> {
    return mapRoleBudget(await this.budgets.setRoleLimit(admin, role, dto.monthlyLimit, origin));
  }

  @Delete('budgets/:role')
  @ApiParam({ name: 'role', enum: USER_ROLES })
  @ApiOkResponse({ type: RoleBudgetRemovedDto, description: "The role's users without a budget of their own are unlimited again" })
  @ApiNotFoundResponse({ description: 'ROLE_NOT_FOUND, or BUDGET_NOT_FOUND: the role has no budget' })
  async removeRole(@CurrentUser() admin: AuthUser, @RoleParam() role: UserRole, @Origin() origin: RequestOrigin): Promise<RoleBudgetRemovedDto> {
    await this.budgets.removeRoleLimit(admin, role, origin);
    return { role, removed: true };
  }

  @Get('users/:id/budget')
  @ApiOkResponse({ type: BudgetDto, description: "The user's budget this month, spend and reservations" })
  @ApiNotFoundResponse({ description: 'USER_NOT_FOUND' })
  async user(@UserId() id: string): Promise<BudgetDto> {
    return mapBudget(await this.budgets.view(id));
  }

  @Put('users/:id/budget')
  @ApiOkResponse({ type: BudgetDto, description: "The user's own monthly budget, which wins over their role's" })
  @ApiNotFoundResponse({ description: 'USER_NOT_FOUND' })
  async setUser(@CurrentUser() admin: AuthUser, @UserId() id: string, @Body() dto: SetBudgetDto, @Origin() origin: RequestOrigin): Promise<BudgetDto> {
    return mapBudget(await this.budgets.setUserLimit(admin, id, dto.monthlyLimit, origin));
  }

  @Delete('users/:id/budget')
  @ApiOkResponse({ type: BudgetDto, description: "The user's own budget removed: their role's applies again" })
  @ApiNotFoundResponse({ description: 'USER_NOT_FOUND, or BUDGET_NOT_FOUND: the user has no budget of their own' })
  async removeUser(@CurrentUser() admin: AuthUser, @UserId() id: string, @Origin() origin: RequestOrigin): Promise<BudgetDto> {
    return mapBudget(await this.budgets.removeUserLimit(admin, id, origin));
  }
}
