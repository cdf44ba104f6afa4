import { Injectable, Logger } from '@nestjs/common';
import { getProviderInfo, PROVIDER_IDS, type ProviderId, type ProviderInfo, UpstreamHttpClient } from '@app/ai';
import { AppError, maskSecret, SecretCipher } from '@app/common';
import { ProviderCredentialsRepository, type ProviderCredentialEntity } from '@app/persistence';
import { AuditService } from '../audit/audit.service.js';
import type { RequestOrigin } from '../audit/request-origin.decorator.js';
import { CredentialCache } from './credential.cache.js';

export interface CredentialInput {
  apiKey?: string;
  baseUrl?: string;
  defaultModel?: string;
}

/** What a strategy needs to reach a user's provider: always that user's own key with that user's own URL. */
export interface ResolvedEndpoint {
  info: ProviderInfo;
  apiKey?: string;
  baseUrl: string;
  defaultModel?: string;
  /** The organisation connection used; null for the user's own key or a provider that needs none. */
  connectionId: string | null;
}

@Injectable()
export class ProvidersService {
  private readonly logger = new Logger(ProvidersService.name);

  constructor(
    private readonly credentials: ProviderCredentialsRepository,
    private readonly cache: CredentialCache,
    private readonly cipher: SecretCipher,
    private readonly http: UpstreamHttpClient,
    private readonly audit: AuditService,
  ) {}

  async list(userId: string): Promise<{ info: ProviderInfo; configured: boolean }[]> {
    const configured = new Set((await this.credentials.listOwned(userId)).map((credential) => credential.provider));
    return PROVIDER_IDS.map((id) => ({ info: getProviderInfo(id), configured: configured.has(id) }));
  }

  async get(userId: string, provider: ProviderId): Promise<ProviderCredentialEntity> {
    const credential = await this.credentials.findOwned(userId, provider);
    if (!credential) throw new AppError('CREDENTIAL_NOT_FOUND', `No settings saved for ${provider}`);
    return credential;
  }

  async upsert(userId: string, provider: ProviderId, input: CredentialInput, origin: RequestOrigin): Promise<ProviderCredentialEntity> {
    const info = getProviderInfo(provider);
    const existing = await this.credentials.findOwned(userId, provider);
    const baseUrl = input.baseUrl ?? null;
    if (info.requiresBaseUrl && !baseUrl) throw new AppError('VALIDATION_FAILED', `baseUrl is required for ${provider}`);
    if (baseUrl) await this.assertReachable(baseUrl);
    if (info.requiresKey && !input.apiKey && !existing?.apiKeyEncrypted) {
      throw new AppError('VALIDATION_FAILED', `apiKey is required for ${provider}`);
    }
    const key = input.apiKey
      ? { apiKeyEncrypted: this.cipher.encrypt(input.apiKey), apiKeyHint: maskSecret(input.apiKey) }
      : { apiKeyEncrypted: existing?.apiKeyEncrypted ?? null, apiKeyHint: existing?.apiKeyHint ?? null };
    const saved = await this.credentials.upsertOwned(userId, provider, { ...key, baseUrl, defaultModel: input.defaultModel ?? null });
    await this.cache.forget(userId, provider);
    // Whether the key changed, never the key (nor its hint); of the base URL only its host, since a URL can carry a
    // credential in its user part or query (`?key=`).
    const detail = { keyChanged: Boolean(input.apiKey), baseUrlHost: baseUrl ? new URL(baseUrl).host : null, defaultModel: saved.defaultModel };
    await this.audit.record({ actor: userId, action: 'provider.credential_saved', target: provider, detail }, origin);
    return saved;
  }

  async remove(userId: string, provider: ProviderId, origin: RequestOrigin): Promise<void> {
    const deleted = await this.credentials.deleteOwned(userId, provider);
    await this.cache.forget(userId, provider);
    if (!deleted) throw new AppError('CREDENTIAL_NOT_FOUND', `No settings saved for ${provider}`);
    await this.audit.record({ actor: userId, action: 'provider.credential_deleted', target: provider }, origin);
  }

  /** Decrypts the caller's own key for one upstream call; providers that need settings fail with 400 without them. */
  async resolveEndpoint(userId: string, provider: ProviderId, _model?: string): Promise<ResolvedEndpoint> {
    const info = getProviderInfo(provider);
    const credential = await this.cache.find(userId, provider);
    if (!credential && info.kind !== 'echo') {
      throw new AppError('PROVIDER_NOT_CONFIGURED', `${info.label} is not configured: save your settings with PUT /api/providers/${provider}`);
    }
    const sealed = credential?.apiKeyEncrypted;
    const apiKey = sealed ? this.unseal(provider, sealed) : undefined;
    if (sealed && apiKey && this.cipher.needsRotation(sealed)) this.reseal(userId, provider, sealed, apiKey);
    return {
      info,
      baseUrl: credential?.baseUrl ?? info.defaultBaseUrl ?? '',
      ...(apiKey && { apiKey }),
      ...(credential?.defaultModel && { defaultModel: credential.defaultModel }),
      connectionId: null,
    };
  }

  /** One named organisation connection (an alias target): 503 CONNECTION_UNAVAILABLE when it is gone or disabled. */
  endpointForConnection(connectionId: string): Promise<ResolvedEndpoint> {
    return Promise.reject(new AppError('CONNECTION_UNAVAILABLE', `Connection ${connectionId.slice(0, 64)} is disabled or no longer exists`));
  }

  private unseal(provider: ProviderId, sealed: string): string {
    try {
      return this.cipher.decrypt(sealed);
    } catch {
      throw new AppError('CREDENTIAL_UNREADABLE', `Your saved ${provider} key was sealed with a retired encryption key: save it again`);
    }
  }

  /** Key rotation happens on use: a key sealed with a retired ENCRYPTION_KEY is sealed again with the current one. */
  private reseal(userId: string, provider: ProviderId, sealed: string, apiKey: string): void {
    const resealed = this.credentials.resealOwned(userId, provider, sealed, this.cipher.encrypt(apiKey));
    resealed.then(() => this.cache.forget(userId, provider)).catch((error: unknown) => {
      this.logger.warn(`Could not re-seal a ${provider} key: ${error instanceof Error ? error.message : String(error)}`);
    });
  }

  private async assertReachable(baseUrl: string): Promise<void> {
    try {
      await this.http.assertSafeUrl(baseUrl);
    } catch (error) {
      throw new AppError('UPSTREAM_URL_REJECTED', `baseUrl is not allowed: ${error instanceof Error ? error.message : 'rejected'}`);
    }
  }
}
