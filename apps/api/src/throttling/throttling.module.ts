import { type ExecutionContext, Module } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { chatConfig } from '@app/common';
import { STREAM_THROTTLE } from './stream-throttle.decorator.js';
import { UserThrottlerGuard } from './user-throttler.guard.js';

const isStreamRoute = (context: ExecutionContext): boolean =>
  Reflect.getMetadata(STREAM_THROTTLE, context.getHandler()) === true;

@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [chatConfig.KEY],
      useFactory: (config: ConfigType<typeof chatConfig>) => ({
        errorMessage: 'Too many requests: slow down and retry after the time given in Retry-After',
        throttlers: [
          { name: 'default', ttl: 60_000, limit: config.requestLimitPerMinute },
          {
            name: 'stream',
            ttl: config.streamLimitWindowMs,
            limit: config.streamLimitPerMinute,
            skipIf: (context) => !isStreamRoute(context),
          },
        ],
      }),
    }),
  ],
  // Registered after the auth guard (AuthModule is imported first), so the user is known when this runs.
  providers: [{ provide: APP_GUARD, useClass: UserThrottlerGuard }],
})
export class ThrottlingModule {}
