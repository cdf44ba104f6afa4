import { Module } from '@nestjs/common';
import { AuditModule } from '../../audit/audit.module.js';
import { AuthModule } from '../auth.module.js';
import { oidcClientProvider } from './oidc-client.provider.js';
import { OidcFlowCookie } from './oidc-flow.cookie.js';
import { OidcController } from './oidc.controller.js';
import { OidcService } from './oidc.service.js';

/** Single sign-on through an OpenID provider (OIDC_ISSUER_URL); when it is not configured, its routes answer 404. */
@Module({
  imports: [AuthModule, AuditModule],
  controllers: [OidcController],
  providers: [oidcClientProvider, OidcService, OidcFlowCookie],
})
export class OidcModule {}
