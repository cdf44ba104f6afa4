import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { getProviderInfo, PROVIDER_IDS, type ProviderId, type ProviderInfo, UpstreamHttpClient } from '@app/ai';
import { AppError, connectionsConfig, ExpiringMap, SecretCipher } from '@app/common';
import {
  type ProviderConnectionEntity,
  ProviderConnectionsRepository,
  ProviderCredentialsRepository,
  type ProviderCredentialEntity,
} from '@app/persistence';
import { AuditService } from '../audit/audit.service.js';
import type { RequestOrigin } from '../audit/request-origin.decorator.js';
import { ConnectionCache } from './connection.cache.js';
import { CredentialCache } from './credential.cache.js';
import { assertSafeBaseUrl, sealKey } from './provider-settings.js';

export interface CredentialInput {
  apiKey?: string;
  baseUrl?: string;
  defaultModel?: string;
}

/** Whose settings a turn runs on: the user's own (or none, for a provider that needs no key), or an organisation connection. */
export type EndpointSource = 'user' | 'organisation';

/** What a strategy needs to reach a provider: the user's own key and URL, or those of one organisation connection. */
export interface ResolvedEndpoint {
  info: ProviderInfo;
  apiKey?: string;
  baseUrl: string;
  defaultModel?: string;
  /** The organisation connection used; null for the user's own key or a provider that needs none. */
  connectionId: string | null;
  source: EndpointSource;
}

/** How the caller can reach a provider: own key, an organisation connection, no key needed, or not at all. */
export type ProviderAccess = 'own_key' | 'organisation' | 'keyless' | null;

/** How long, and for how many keys, an unsealed key is kept after a turn used it: as long as the credential cache keeps its row. */
const UNSEALED_TTL_MS = 60_000;
const UNSEALED_MAX_ENTRIES = 10_000;

@Injectable()
export class ProvidersService {
  private readonly logger = new Logger(ProvidersService.name);
  /** Per provider, the turn count that spreads turns over several connections serving the same model. */
  private readonly turns = new Map<string, number>();
  /**
   * Keys recent turns used, by their sealed form: unsealing (AES-GCM's key set-up on every call) was the largest
   * single function of a turn's own work in the bench's profile of /v1 turns. Kept unsealed in memory for a minute:
   * sealed, they protected nothing there, since this process holds ENCRYPTION_KEY beside them. A saved or re-sealed
   * key has a new sealed form (a new IV), so nothing here is ever stale.
   */
  private readonly unsealed = new ExpiringMap<string, string>(UNSEALED_MAX_ENTRIES);

  constructor(
    private readonly credentials: ProviderCredentialsRepository,
    private readonly cache: CredentialCache,
    private readonly connections: ProviderConnectionsRepository,
    private readonly connectionCache: ConnectionCache,
    private readonly cipher: SecretCipher,
    private readonly http: UpstreamHttpClient,
    private readonly audit: AuditService,
    @Inject(connectionsConfig.KEY) private readonly config: ConfigType<typeof connectionsConfig>,
  ) {}

  /** Every provider, whether the caller saved settings for it, and whether and through what a turn can reach it. */
  async list(userId: string): Promise<{ info: ProviderInfo; configured: boolean; access: ProviderAccess }[]> {
    const configured = new Set((await this.credentials.listOwned(userId)).map((credential) => credential.provider));
    const organisation = new Set((await this.connectionCache.enabled()).map((connection) => connection.provider));
    return PROVIDER_IDS.map((id) => {
      const info = getProviderInfo(id);
      const access: ProviderAccess =
        this.config.allowUserKeys && configured.has(id) ? 'own_key' : organisation.has(id) ? 'organisation' : info.kind === 'echo' ? 'keyless' : null;
      return { info, configured: configured.has(id), access };
    });
  }

  async get(userId: string, provider: ProviderId): Promise<ProviderCredentialEntity> {
    const credential = await this.credentials.findOwned(userId, provider);
    if (!credential) throw new AppError('CREDENTIAL_NOT_FOUND', `No settings saved for ${provider}`);
    return credential;
  }

  async upsert(userId: string, provider: ProviderId, input: CredentialInput, origin: RequestOrigin): Promise<ProviderCredentialEntity> {
    if (!this.config.allowUserKeys) {
      throw new AppError('USER_KEYS_DISABLED', "Your own provider settings are turned off here: turns use the organisation's connections");
    }
    const info = getProviderInfo(provider);
    const existing = await this.credentials.findOwned(userId, provider);
    const baseUrl = input.baseUrl ?? null;
    if (info.requiresBaseUrl && !baseUrl) throw new AppError('VALIDATION_FAILED', `baseUrl is required for ${provider}`);
    if (baseUrl) await assertSafeBaseUrl(this.http, baseUrl);
    if (info.requiresKey && !input.apiKey && !existing?.apiKeyEncrypted) {
      throw new AppError('VALIDATION_FAILED', `apiKey is required for ${provider}`);
    }
    const key = input.apiKey
      ? sealKey(this.cipher, input.apiKey)
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

  /**
   * Decrypts the key of one upstream call: the caller's own settings for the provider when they have some and
   * ALLOW_USER_KEYS allows them, else an enabled organisation connection of the provider that serves the model.
   * Without either, 400 PROVIDER_NOT_CONFIGURED (a provider that needs no key, echo, needs neither).
   */
  async resolveEndpoint(userId: string, provider: ProviderId, model?: string): Promise<ResolvedEndpoint> {
    const info = getProviderInfo(provider);
    const credential = this.config.allowUserKeys ? await this.cache.find(userId, provider) : null;
    if (credential) return this.ownEndpoint(userId, info, credential);
    const connection = this.chooseConnection(await this.connectionCache.enabled(), provider, model);
    if (connection) return this.connectionEndpoint(info, connection);
    if (info.kind === 'echo') return { info, baseUrl: info.defaultBaseUrl ?? '', connectionId: null, source: 'user' };
    const remedy = this.config.allowUserKeys ? `save your settings with PUT /api/providers/${provider}` : 'ask an administrator for a connection';
    throw new AppError('PROVIDER_NOT_CONFIGURED', `${info.label} is not configured: ${remedy}`);
  }

  /** One named organisation connection (an alias target): 503 CONNECTION_UNAVAILABLE when it is gone or disabled. */
  async endpointForConnection(connectionId: string): Promise<ResolvedEndpoint> {
    const connection = (await this.connectionCache.enabled()).find(({ id }) => id === connectionId);
    if (!connection) throw new AppError('CONNECTION_UNAVAILABLE', `Connection ${connectionId.slice(0, 64)} is disabled or no longer exists`);
    return this.connectionEndpoint(getProviderInfo(connection.provider as ProviderId), connection);
  }

  /**
   * The provider's connections that serve the model: those listing it first, then those serving any model. Several
   * of the same rank take turns (round-robin in this process): several keys spread the load and their rate limits.
   */
  private chooseConnection(enabled: ProviderConnectionEntity[], provider: string, model?: string): ProviderConnectionEntity | undefined {
    const ofProvider = enabled.filter((connection) => connection.provider === provider);
    const listing = model ? ofProvider.filter((connection) => connection.models.includes(model)) : [];
    const candidates = listing.length ? listing : ofProvider.filter((connection) => !model || connection.models.length === 0);
    if (candidates.length <= 1) return candidates[0];
    const turn = this.turns.get(provider) ?? 0;
    this.turns.set(provider, (turn + 1) % Number.MAX_SAFE_INTEGER);
    return candidates[turn % candidates.length];
  }

  private ownEndpoint(userId: string, info: ProviderInfo, credential: ProviderCredentialEntity): ResolvedEndpoint {
    const sealed = credential.apiKeyEncrypted;
    const apiKey = sealed ? this.unseal(sealed, `Your saved ${info.id} key`) : undefined;
    if (sealed && apiKey && this.cipher.needsRotation(sealed)) this.reseal(userId, info.id, sealed, apiKey);
    return {
      info,
      baseUrl: credential.baseUrl ?? info.defaultBaseUrl ?? '',
      ...(apiKey && { apiKey }),
      ...(credential.defaultModel && { defaultModel: credential.defaultModel }),
      connectionId: null,
      source: 'user',
    };
  }

  private connectionEndpoint(info: ProviderInfo, connection: ProviderConnectionEntity): ResolvedEndpoint {
    const sealed = connection.apiKeyEncrypted;
    const apiKey = sealed ? this.unseal(sealed, `The key of the organisation connection "${connection.name}"`) : undefined;
    if (sealed && apiKey && this.cipher.needsRotation(sealed)) this.resealConnection(connection.id, sealed, apiKey);
    return {
      info,
      baseUrl: connection.baseUrl ?? info.defaultBaseUrl ?? '',
      ...(apiKey && { apiKey }),
      // A connection limited to some models serves its first by default.
      ...(connection.models[0] && { defaultModel: connection.models[0] }),
      connectionId: connection.id,
      source: 'organisation',
    };
  }

  private unseal(sealed: string, whose: string): string {
    const known = this.unsealed.get(sealed);
    if (known !== undefined) return known;
    let apiKey: string;
    try {
      apiKey = this.cipher.decrypt(sealed);
    } catch {
      throw new AppError('CREDENTIAL_UNREADABLE', `${whose} was sealed with a retired encryption key: save it again`);
    }
    this.unsealed.set(sealed, apiKey, Date.now() + UNSEALED_TTL_MS);
    return apiKey;
  }

  /** Key rotation happens on use: a key sealed with a retired ENCRYPTION_KEY is sealed again with the current one. */
  private reseal(userId: string, provider: ProviderId, sealed: string, apiKey: string): void {
    const resealed = this.credentials.resealOwned(userId, provider, sealed, this.cipher.encrypt(apiKey));
    resealed.then(() => this.cache.forget(userId, provider)).catch((error: unknown) => {
      this.logger.warn(`Could not re-seal a ${provider} key: ${error instanceof Error ? error.message : String(error)}`);
    });
  }

  private resealConnection(connectionId: string, sealed: string, apiKey: string): void {
    const resealed = this.connections.reseal(connectionId, sealed, this.cipher.encrypt(apiKey));
    resealed.then(() => this.connectionCache.forget()).catch((error: unknown) => {
      this.logger.warn(`Could not re-seal the key of connection ${connectionId}: ${error instanceof Error ? error.message : String(error)}`);
    });
  }
}
