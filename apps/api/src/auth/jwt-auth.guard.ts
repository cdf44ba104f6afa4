import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { AppError } from '@app/common';
import { API_KEY_PREFIX } from '../api-keys/api-key.secret.js';
import { ApiKeysService } from '../api-keys/api-keys.service.js';
import { AccessTokensService } from './access-tokens.service.js';
import { AccountStatesCache } from './account-states.cache.js';
import type { AuthUser } from './auth-user.js';
import { ALLOW_API_KEY } from './allow-api-key.decorator.js';
import { ALLOW_STREAM_TOKEN } from './allow-stream-token.decorator.js';

import { IS_PUBLIC } from './public.decorator.js';
import { StreamTokensService } from './stream-tokens.service.js';

const BEARER = /^Bearer +(\S+)$/i;

/** Anthropic clients send their key in `x-api-key`: read there too, for personal API keys only (never a session's token). */
function apiKeyHeader(request: Request): string | undefined {
  const key = request.headers['x-api-key'];
  return typeof key === 'string' && key.startsWith(API_KEY_PREFIX) ? key : undefined;
}

/**
 * The one place that reads credentials: every route needs a valid access token unless marked @Public(); routes
 * marked @AllowApiKey() also take a personal API key in the same Authorization header (or `x-api-key`), and routes marked
 * @AllowStreamToken() a stream token for their session in `?token=`.
 */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly accessTokens: AccessTokensService,
    private readonly apiKeys: ApiKeysService,
    private readonly streamTokens: StreamTokensService,
    private readonly accounts: AccountStatesCache,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    // Messages from other services carry their credential in the payload (see ChatMessagesController).
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const request = context.switchToHttp().getRequest<Request>();
    const streamToken = request.query.token;
    if (streamToken !== undefined && this.reflector.getAllAndOverride<boolean>(ALLOW_STREAM_TOKEN, targets)) {
      const grant = typeof streamToken === 'string' ? this.streamTokens.verify(streamToken) : null;
      const account = grant && grant.sessionId === request.params.id ? await this.accounts.get(grant.userId) : null;
      if (!grant || !account || account.disabled || account.tokenVersion !== grant.tokenVersion) {
        throw new AppError('UNAUTHENTICATED', 'The stream token is invalid, expired, revoked, or for another session');
      }
      request.user = { id: grant.userId, role: account.role };
      return true;
    }
    const token = BEARER.exec(request.headers.authorization ?? '')?.[1] ?? apiKeyHeader(request);
    if (token?.startsWith(API_KEY_PREFIX) && !this.reflector.getAllAndOverride<boolean>(ALLOW_API_KEY, targets)) {
      throw new AppError('UNAUTHENTICATED', 'API keys are accepted on the chat and /v1 routes only; sign in for this one');
    }
    // An API key is deleted with its user (foreign key), so finding the key proves the user; a signed token does not.
    const user = !token ? null : token.startsWith(API_KEY_PREFIX) ? await this.apiKeys.authenticate(token) : await this.signedUser(token);
    if (!user) throw new AppError('UNAUTHENTICATED', 'A valid access token is required');
    request.user = user;
    return true;
  }

  /** The token's user while the account exists, is enabled, and has not revoked the token's version. */
  private async signedUser(token: string): Promise<AuthUser | null> {
    const grant = this.accessTokens.verify(token);
    const account = grant && (await this.accounts.get(grant.userId));
    if (!grant || !account || account.disabled || account.tokenVersion !== grant.tokenVersion) return null;
    return { id: grant.userId, role: account.role };
  }
}
