import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { randomUUID } from 'node:crypto';
import { getProviderInfo, isProviderId, UpstreamHttpClient } from '@app/ai';
import { AppError, ConfigError, connectionsConfig, type FileConnection, SecretCipher } from '@app/common';
import { type ConnectionFields, type ProviderConnectionEntity, ProviderConnectionsRepository } from '@app/persistence';
import { AuditService } from '../audit/audit.service.js';
import type { RequestOrigin } from '../audit/request-origin.decorator.js';
import { ConnectionCache } from './connection.cache.js';
import { assertSafeBaseUrl, sealKey } from './provider-settings.js';

/** Connections the admin API may hold: each is a key an administrator chose to share, not a per-user row. */
const MAX_API_CONNECTIONS = 200;

export interface ConnectionInput {
  provider?: string;
  name?: string;
  apiKey?: string;
  /** null clears it (the provider's default endpoint). */
  baseUrl?: string | null;
  /** null or [] : any model of the provider. */
  models?: string[] | null;
  enabled?: boolean;
}

/**
 * The organisation's connections: administrators manage them through the API, operators through CONNECTIONS_FILE.
 * The file is written into the table at every start (keys sealed as the API's are) and wins for the ids it names:
 * those rows are read-only through the API (409 CONNECTION_READ_ONLY). Every change is forgotten by the cache of
 * every replica at once, and audited without the key.
 */
@Injectable()
export class ConnectionsService implements OnModuleInit {
  private readonly logger = new Logger(ConnectionsService.name);

  constructor(
    private readonly connections: ProviderConnectionsRepository,
    private readonly cache: ConnectionCache,
    private readonly cipher: SecretCipher,
    private readonly http: UpstreamHttpClient,
    private readonly audit: AuditService,
    @Inject(connectionsConfig.KEY) private readonly config: ConfigType<typeof connectionsConfig>,
  ) {}

  /** Every replica writes the same file at start-up: the last one to start leaves the same rows as the first. */
  async onModuleInit(): Promise<void> {
    const file = this.config.fileConnections ?? [];
    const rows = [];
    for (const connection of file) rows.push(await this.fileRow(connection));
    await this.connections.replaceFileManaged(rows);
    await this.cache.forget();
    if (file.length) this.logger.log(`CONNECTIONS_FILE: ${file.length} connection(s) in force`);
  }

  list(): Promise<ProviderConnectionEntity[]> {
    return this.connections.list();
  }

  async get(id: string): Promise<ProviderConnectionEntity> {
    const connection = await this.connections.find(id);
    if (!connection) throw new AppError('CONNECTION_NOT_FOUND', 'Connection not found');
    return connection;
  }

  async create(actor: string, input: ConnectionInput, origin: RequestOrigin): Promise<ProviderConnectionEntity> {
    if ((await this.connections.count()) >= MAX_API_CONNECTIONS) {
      throw new AppError('CONNECTION_LIMIT_REACHED', `At most ${MAX_API_CONNECTIONS} connections; delete one first`);
    }
    const fields = await this.checked(input, null);
    const created = await this.connections.create(randomUUID(), fields);
    await this.changed(actor, 'connection.created', created, Boolean(input.apiKey), origin);
    return created;
  }

  async update(actor: string, id: string, input: ConnectionInput, origin: RequestOrigin): Promise<ProviderConnectionEntity> {
    const existing = this.writable(await this.get(id));
    const updated = await this.connections.update(id, await this.checked(input, existing));
    if (!updated) throw new AppError('CONNECTION_NOT_FOUND', 'Connection not found');
    await this.changed(actor, 'connection.updated', updated, Boolean(input.apiKey), origin);
    return updated;
  }

  async remove(actor: string, id: string, origin: RequestOrigin): Promise<void> {
    const existing = this.writable(await this.get(id));
    if (!(await this.connections.delete(id))) throw new AppError('CONNECTION_NOT_FOUND', 'Connection not found');
    await this.cache.forget();
    await this.audit.record({ actor, action: 'connection.deleted', target: id, detail: { provider: existing.provider, name: existing.name } }, origin);
  }

  private writable(connection: ProviderConnectionEntity): ProviderConnectionEntity {
    if (connection.source === 'file') {
      throw new AppError('CONNECTION_READ_ONLY', 'This connection comes from CONNECTIONS_FILE: change it there and restart');
    }
    return connection;
  }

  /** The input merged over what exists, checked as a user's settings are: the provider's needs, then SSRF rules. */
  private async checked(input: ConnectionInput, existing: ProviderConnectionEntity | null): Promise<ConnectionFields> {
    const provider = input.provider ?? existing?.provider ?? '';
    if (!isProviderId(provider)) throw new AppError('UNKNOWN_PROVIDER', `Unknown provider "${provider.slice(0, 32)}"`);
    const info = getProviderInfo(provider);
    const baseUrl = input.baseUrl === undefined ? (existing?.baseUrl ?? null) : input.baseUrl;
    if (info.requiresBaseUrl && !baseUrl) throw new AppError('VALIDATION_FAILED', `baseUrl is required for ${provider}`);
    if (baseUrl && baseUrl !== existing?.baseUrl) await assertSafeBaseUrl(this.http, baseUrl);
    // A key sealed for another provider is not carried over: the new provider's key must be given.
    const keptKey = existing && existing.provider === provider ? existing : null;
    if (info.requiresKey && !input.apiKey && !keptKey?.apiKeyEncrypted) throw new AppError('VALIDATION_FAILED', `apiKey is required for ${provider}`);
    const key = input.apiKey
      ? sealKey(this.cipher, input.apiKey)
      : { apiKeyEncrypted: keptKey?.apiKeyEncrypted ?? null, apiKeyHint: keptKey?.apiKeyHint ?? null };
    return {
      provider,
      name: (input.name ?? existing?.name ?? provider).trim(),
      ...key,
      baseUrl,
      models: input.models === undefined ? (existing?.models ?? []) : [...new Set(input.models ?? [])],
      enabled: input.enabled ?? existing?.enabled ?? true,
    };
  }

  /** A file connection checked as the API checks one; a problem stops start-up naming the connection, never its key. */
  private async fileRow(connection: FileConnection): Promise<ConnectionFields & { id: string }> {
    const refuse = (problem: string) => new ConfigError('CONNECTIONS_FILE', `connection "${connection.id}" ${problem}`);
    if (!isProviderId(connection.provider)) throw refuse(`names an unknown provider "${connection.provider}"`);
    const info = getProviderInfo(connection.provider);
    if (info.requiresBaseUrl && !connection.baseUrl) throw refuse(`needs a baseUrl for ${connection.provider}`);
    if (info.requiresKey && !connection.apiKey) throw refuse(`needs an apiKey for ${connection.provider}`);
    if (connection.baseUrl) {
      try {
        await this.http.assertSafeUrl(connection.baseUrl);
      } catch (error) {
        throw refuse(`has a baseUrl that is not allowed: ${error instanceof Error ? error.message : 'rejected'}`);
      }
    }
    const { apiKey, ...fields } = connection;
    const key = apiKey ? sealKey(this.cipher, apiKey) : { apiKeyEncrypted: null, apiKeyHint: null };
    return { ...fields, ...key };
  }

  /** Forgotten everywhere first, so the audit entry never precedes the change it records being in force. */
  private async changed(
    actor: string,
    action: 'connection.created' | 'connection.updated',
    connection: ProviderConnectionEntity,
    keyChanged: boolean,
    origin: RequestOrigin,
  ): Promise<void> {
    await this.cache.forget();
    // Of the base URL only its host: a URL can carry a credential in its query (`?key=`).
    const detail = {
      provider: connection.provider,
      name: connection.name,
      keyChanged,
      baseUrlHost: connection.baseUrl ? new URL(connection.baseUrl).host : null,
      models: connection.models.length,
      enabled: connection.enabled,
    };
    await this.audit.record({ actor, action, target: connection.id, detail }, origin);
  }
}
