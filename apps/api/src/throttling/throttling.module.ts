import { type ExecutionContext, Module } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { APP_GUARD } from '@nestjs/core';
import { type ThrottlerGetTrackerFunction, ThrottlerModule } from '@nestjs/throttler';
import type { Request } from 'express';
import { authConfig, chatConfig, hashOpaqueSecret } from '@app/common';
import { RedisConnectionsService } from '../redis/redis-connections.service.js';
import { RedisModule } from '../redis/redis.module.js';
import { FailoverThrottlerStorage } from './failover-throttler.storage.js';
import { MemoryThrottlerStorage } from './memory-throttler.storage.js';
import { RedisThrottlerStorage } from './redis-throttler.storage.js';
import { LOGIN_THROTTLE, STREAM_THROTTLE } from './throttle.decorators.js';
import { UserThrottlerGuard } from './user-throttler.guard.js';

const MINUTE_MS = 60_000;
const THROTTLERS = { default: 'default', stream: 'stream', loginAccount: 'login-account', loginIp: 'login-ip' } as const;

/**
 * What a limited response carries: @nestjs/throttler's X-RateLimit-* per throttler (no suffix for `default`), and
 * the Retry-After UserThrottlerGuard sets. Listed for CORS: a cross-origin page reads only the headers exposed to it.
 */
export const RATE_LIMIT_HEADERS = [
  'Retry-After',
  ...Object.values(THROTTLERS).flatMap((name) =>
    ['Limit', 'Remaining', 'Reset'].map((field) => `X-RateLimit-${field}${name === THROTTLERS.default ? '' : `-${name}`}`),
  ),
];
const marked = (key: string) => (context: ExecutionContext) => Reflect.getMetadata(key, context.getHandler()) !== true;

/**
 * The account a password-guessing route is aimed at: the signed-in user (password change, account deletion), the
 * e-mail being tried (login), normalised as accounts are, or the refresh token presented (refresh, logout: each
 * token is good once, so per token this only stops hammering; the per-address limit is what holds). Requests
 * without any share a single bucket.
 */
const loginAccount: ThrottlerGetTrackerFunction = (req) => {
  const { user, body } = req as Request;
  if (user) return `user:${user.id}`;
  const { email, refreshToken } = (body ?? {}) as { email?: unknown; refreshToken?: unknown };
  if (typeof email === 'string') return `account:${email.trim().toLowerCase().slice(0, 320)}`;
  // Hashed: tracker keys may reach Redis, and a refresh token is a credential.
  if (typeof refreshToken === 'string') return `refresh:${hashOpaqueSecret(refreshToken)}`;
  return 'account:?';
};

@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      imports: [RedisModule],
      inject: [chatConfig.KEY, authConfig.KEY, RedisConnectionsService],
      useFactory: (chat: ConfigType<typeof chatConfig>, auth: ConfigType<typeof authConfig>, redis: RedisConnectionsService) => ({
        storage: redis.client
          ? new FailoverThrottlerStorage(redis, new RedisThrottlerStorage(redis.client), new MemoryThrottlerStorage())
          : new MemoryThrottlerStorage(),
        errorMessage: 'Too many requests: slow down and retry after the time given in Retry-After',
        throttlers: [
          { name: THROTTLERS.default, ttl: MINUTE_MS, limit: chat.requestLimitPerMinute },
          { name: THROTTLERS.stream, ttl: chat.streamLimitWindowMs, limit: chat.streamLimitPerMinute, skipIf: marked(STREAM_THROTTLE) },
          { name: THROTTLERS.loginAccount, ttl: MINUTE_MS, limit: auth.loginLimitPerAccount, skipIf: marked(LOGIN_THROTTLE), getTracker: loginAccount },
          { name: THROTTLERS.loginIp, ttl: MINUTE_MS, limit: auth.loginLimitPerIp, skipIf: marked(LOGIN_THROTTLE), getTracker: (req) => `ip:${(req as Request).ip}` },
        ],
      }),
    }),
  ],
  // Registered after the auth guard (AuthModule is imported first), so the user is known when this runs.
  providers: [{ provide: APP_GUARD, useClass: UserThrottlerGuard }],
})
export class ThrottlingModule {}
