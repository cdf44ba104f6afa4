import { Module } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { authConfig } from '@app/common';
import { ApiKeysModule } from '../api-keys/api-keys.module.js';
import { AuditModule } from '../audit/audit.module.js';
import { GenerationsModule } from '../generations/generations.module.js';
import { RedisModule } from '../redis/redis.module.js';
import { AccountRevocation } from './account-revocation.service.js';
import { AccessTokensService, JWT_ALGORITHM } from './access-tokens.service.js';
import { AccountStatesCache } from './account-states.cache.js';
import { AuthController } from './auth.controller.js';
import { AuthService } from './auth.service.js';
import { JwtAuthGuard } from './jwt-auth.guard.js';
import { PasswordHasher } from './password.hasher.js';
import { SignInPolicy } from './sign-in.policy.js';
import { RolesGuard } from './roles.guard.js';
import { RefreshTokensService } from './refresh-tokens.service.js';
import { StreamTokensService } from './stream-tokens.service.js';

@Module({
  imports: [
    // The guard takes personal API keys as well as tokens.
    ApiKeysModule,
    AuditModule,
    // Revoking a sign-in ends the user's live replies, on every replica.
    GenerationsModule,
    RedisModule,
    JwtModule.registerAsync({
      inject: [authConfig.KEY],
      useFactory: (config: ConfigType<typeof authConfig>) => ({
        secret: config.jwtSecret,
        signOptions: { algorithm: JWT_ALGORITHM, expiresIn: config.jwtExpiresInSeconds },
        verifyOptions: { algorithms: [JWT_ALGORITHM] },
      }),
    }),
  ],
  controllers: [AuthController],
  providers: [
    AuthService,
    PasswordHasher,
    AccessTokensService,
    RefreshTokensService,
    StreamTokensService,
    AccountStatesCache,
    AccountRevocation,
    SignInPolicy,
    // Global guards run in the order they are provided: who is calling first, then whether their role may.
    { provide: APP_GUARD, useClass: JwtAuthGuard },
    { provide: APP_GUARD, useClass: RolesGuard },
  ],
  // Single sign-on and the account feature issue the same sign-in, under the same rules; the account feature also
  // checks passwords; both announce changes to an account so they are seen at once everywhere.
  exports: [StreamTokensService, AccountRevocation, AuthService, SignInPolicy, PasswordHasher],
})
export class AuthModule {}
