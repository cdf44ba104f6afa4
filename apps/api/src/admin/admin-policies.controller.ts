import { Body, Controller, Delete, Get, Param, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Origin, type RequestOrigin } from '../audit/request-origin.decorator.js';
import type { AuthUser } from '../auth/auth-user.js';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { Roles } from '../auth/roles.decorator.js';
import { UuidParam } from '../http/uuid-param.decorator.js';
import { ModelPoliciesService } from '../model-access/model-policies.service.js';
import { mapPolicy, ModelPolicyDto, ModelPolicyInputDto, PolicyDeletedDto, policyFields, RoleParamDto, RolePolicyListDto } from './dto/model-governance.dto.js';

const APPLIES = 'Applies from the next request on, on every replica';

/** Which models each role may use and within which limits; without a policy, every model and no caps. */
@ApiTags('admin')
@ApiBearerAuth()
@Roles('admin')
@Controller('admin/policies')
export class AdminPoliciesController {
  constructor(private readonly policies: ModelPoliciesService) {}

  @Get()
  @ApiOkResponse({ type: RolePolicyListDto, description: 'Every role, with its policy or null (no limit)' })
  async list(): Promise<RolePolicyListDto> {
    const roles = await this.policies.listRoles();
    return { policies: roles.map(({ role, policy }) => ({ role, policy: policy && mapPolicy(policy) })) };
  }

  @Put(':role')
  @ApiOkResponse({ type: ModelPolicyDto, description: APPLIES })
  async save(@CurrentUser() admin: AuthUser, @Param() { role }: RoleParamDto, @Body() dto: ModelPolicyInputDto, @Origin() origin: RequestOrigin): Promise<ModelPolicyDto> {
    return mapPolicy(await this.policies.saveRole(admin, role, policyFields(dto), origin));
  }

  @Delete(':role')
  @ApiOkResponse({ type: PolicyDeletedDto, description: 'The role may use every model again' })
  @ApiNotFoundResponse({ description: 'The role has no policy' })
  async remove(@CurrentUser() admin: AuthUser, @Param() { role }: RoleParamDto, @Origin() origin: RequestOrigin): Promise<PolicyDeletedDto> {
    await this.policies.removeRole(admin, role, origin);
    return { deleted: true };
  }
}

/** One user's override: replaces their role's policy for them. */
@ApiTags('admin')
@ApiBearerAuth()
@Roles('admin')
@ApiNotFoundResponse({ description: 'No such user, or (GET, DELETE) no override' })
@Controller('admin/users/:id/policy')
export class AdminUserPolicyController {
  constructor(private readonly policies: ModelPoliciesService) {}

  @Get()
  @ApiOkResponse({ type: ModelPolicyDto })
  async get(@UuidParam('id') userId: string): Promise<ModelPolicyDto> {
    return mapPolicy(await this.policies.getUser(userId));
  }

  @Put()
  @ApiOkResponse({ type: ModelPolicyDto, description: APPLIES })
  async save(@CurrentUser() admin: AuthUser, @UuidParam('id') userId: string, @Body() dto: ModelPolicyInputDto, @Origin() origin: RequestOrigin): Promise<ModelPolicyDto> {
    return mapPolicy(await this.policies.saveUser(admin, userId, policyFields(dto), origin));
  }

  @Delete()
  @ApiOkResponse({ type: PolicyDeletedDto, description: "The user's role's policy applies again" })
  async remove(@CurrentUser() admin: AuthUser, @UuidParam('id') userId: string, @Origin() origin: RequestOrigin): Promise<PolicyDeletedDto> {
    await this.policies.removeUser(admin, userId, origin);
    return { deleted: true };
  }
}
