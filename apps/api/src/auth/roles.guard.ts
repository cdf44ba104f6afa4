import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { AppError } from '@app/common';
import type { UserRole } from '@app/persistence';
import { ROLES } from './roles.decorator.js';

/**
 * Enforces @Roles(): registered after JwtAuthGuard, so the caller is already known, and with the role read from the
 * account's current state (not from the token), so a demotion applies to the next request.
 */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const roles = this.reflector.getAllAndOverride<UserRole[] | undefined>(ROLES, [context.getHandler(), context.getClass()]);
    if (!roles || context.getType() !== 'http') return true;
    const user = context.switchToHttp().getRequest<Request>().user;
    if (!user || !roles.includes(user.role)) throw new AppError('FORBIDDEN', `This route is for ${roles.join(' or ')} accounts only`);
    return true;
  }
}
