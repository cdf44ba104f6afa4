import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiForbiddenResponse } from '@nestjs/swagger';
import type { UserRole } from '@app/persistence';

export const ROLES = 'auth:roles';

/** Only callers with one of these roles reach the route (RolesGuard); everyone else signed in gets 403. */
export const Roles = (...roles: UserRole[]) =>
  applyDecorators(SetMetadata(ROLES, roles), ApiForbiddenResponse({ description: `Signed in, but not ${roles.join(' or ')}` }));
