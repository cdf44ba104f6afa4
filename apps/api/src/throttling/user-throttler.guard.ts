import { type ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard, type ThrottlerLimitDetail } from '@nestjs/throttler';
import type { Request, Response } from 'express';

/**
 * Limits are kept per signed-in user: behind one corporate NAT every employee shares an IP. Anonymous routes
 * (login, register) fall back to the client IP as Express resolves it under TRUST_PROXY_HOPS, so a spoofed
 * X-Forwarded-For from outside the trusted hops is ignored.
 */
@Injectable()
export class UserThrottlerGuard extends ThrottlerGuard {
  /** HTTP clients only: services calling over NATS are limited per user by the generation limit instead. */
  override canActivate(context: ExecutionContext): Promise<boolean> {
    return context.getType() === 'http' ? super.canActivate(context) : Promise.resolve(true);
  }

  protected override async getTracker(req: Request): Promise<string> {
    // Set by the auth guard, which runs first (the user's type is declared on Express's Request by auth).
    return req.user ? `user:${req.user.id}` : `ip:${req.ip ?? 'unknown'}`;
  }

  /** The library names the header after the throttler (`Retry-After-stream`); clients look for `Retry-After`. */
  protected override async throwThrottlingException(context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    context.switchToHttp().getResponse<Response>().setHeader('Retry-After', Math.max(1, detail.timeToBlockExpire));
    return super.throwThrottlingException(context, detail);
  }
}
