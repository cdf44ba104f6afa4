import type { FactoryProvider } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import * as openid from 'openid-client';
import { ConfigError, isLoopbackHost, type OidcSettings, signInConfig } from '@app/common';

/** The OpenID provider as discovered at start-up, with our settings for it; null when single sign-on is off. */
export interface OidcClient {
  configuration: openid.Configuration;
  settings: OidcSettings;
}

export const OIDC_CLIENT = Symbol('OIDC_CLIENT');

/** For discovery and for every later request to the provider (token, userinfo, keys). */
const PROVIDER_TIMEOUT_SECONDS = 10;

function reason(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return error instanceof Error ? `${error.message}${cause}` : String(error);
}

/**
 * Reads the provider's discovery document (endpoints, signing keys' location, issuer). Done once at start-up, so a
 * wrong issuer or an unreachable provider stops the server with one clear line instead of failing every sign-in.
 */
export async function discoverOidcClient(settings: OidcSettings): Promise<OidcClient> {
  const issuer = new URL(settings.issuerUrl);
  // openid-client refuses plain HTTP; the configuration allows http: only on a loopback host (local development and
  // the tests' provider), where nothing crosses a network. Anywhere else the provider is reached over HTTPS only.
  const execute = issuer.protocol === 'http:' && isLoopbackHost(issuer.hostname) ? [openid.allowInsecureRequests] : [];
  try {
    const configuration = await openid.discovery(issuer, settings.clientId, settings.clientSecret, undefined, { execute, timeout: PROVIDER_TIMEOUT_SECONDS });
    return { configuration, settings };
  } catch (error) {
    throw new ConfigError('OIDC_ISSUER_URL', `could not be discovered at ${settings.issuerUrl} (${reason(error)}): check the issuer URL and that the provider is reachable`);
  }
}

export const oidcClientProvider: FactoryProvider<OidcClient | null> = {
  provide: OIDC_CLIENT,
  inject: [signInConfig.KEY],
  useFactory: (config: ConfigType<typeof signInConfig>) => (config.oidc ? discoverOidcClient(config.oidc) : null),
};
