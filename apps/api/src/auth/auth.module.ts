import { Module } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { authConfig } from '@app/common';
import { ApiKeysModule } from '../api-keys/api-keys.module.js';
import { AccessTokens, JWT_ALGORITHM } from './access-tokens.js';
import { AuthController } from './auth.controller.js';
import { AuthService } from './auth.service.js';
import { JwtAuthGuard } from './jwt-auth.guard.js';
import { KnownUsers } from './known-users.js';
import { PasswordHasher } from './password.hasher.js';
import { StreamTokens } from './stream-tokens.js';

@Module({
  imports: [
    // The guard takes personal API keys as well as tokens.
    ApiKeysModule,
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
  providers: [AuthService, PasswordHasher, AccessTokens, StreamTokens, KnownUsers, { provide: APP_GUARD, useClass: JwtAuthGuard }],
  exports: [StreamTokens],
})
export class AuthModule {}
