import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';

/** Where a request came from, for the audit log: the client address (as resolved under TRUST_PROXY_HOPS) and the request id. */
export interface RequestOrigin {
  clientAddress: string | null;
  requestId: string | null;
}

export const Origin = createParamDecorator((_: unknown, context: ExecutionContext): RequestOrigin => {
  const request = context.switchToHttp().getRequest<Request & { id?: unknown }>();
  return { clientAddress: request.ip ?? null, requestId: typeof request.id === 'string' ? request.id : null };
});
