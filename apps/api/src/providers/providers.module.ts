import { Module } from '@nestjs/common';
import { CredentialCache } from './credential-cache.js';
import { ProvidersController } from './providers.controller.js';
import { ProvidersService } from './providers.service.js';

@Module({
  controllers: [ProvidersController],
  providers: [ProvidersService, CredentialCache],
  exports: [ProvidersService],
})
export class ProvidersModule {}
