import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Not, type Repository } from 'typeorm';
import { type ConnectionSource, ProviderConnectionEntity } from '../entities/provider-connection.entity.js';

export interface ConnectionFields {
  provider: string;
  name: string;
  apiKeyEncrypted: string | null;
  apiKeyHint: string | null;
  baseUrl: string | null;
  models: string[];
  enabled: boolean;
}

/**
 * The organisation's connections. They belong to no user: only the admin API, the start-up file and the
 * resolution of a turn's endpoint read them, and no response ever carries the sealed key.
 */
@Injectable()
export class ProviderConnectionsRepository {
  constructor(@InjectRepository(ProviderConnectionEntity) private readonly connections: Repository<ProviderConnectionEntity>) {}

  /** Oldest first: the order in which a turn considers them. */
  list(): Promise<ProviderConnectionEntity[]> {
    return this.connections.find({ order: { createdAt: 'ASC', id: 'ASC' } });
  }

  find(id: string): Promise<ProviderConnectionEntity | null> {
    return this.connections.findOneBy({ id });
  }

  /** Plain SQL, every enabled connection (a handful): what turns choose from, kept in memory by the API. */
  listEnabled(): Promise<ProviderConnectionEntity[]> {
    return this.connections.manager.query(
      `SELECT id, provider, name, api_key_encrypted AS "apiKeyEncrypted", api_key_hint AS "apiKeyHint", base_url AS "baseUrl",
              models, enabled, source, created_at AS "createdAt", updated_at AS "updatedAt"
         FROM provider_connections WHERE enabled ORDER BY created_at, id`,
    );
  }

  count(): Promise<number> {
    return this.connections.count();
  }

  async create(id: string, fields: ConnectionFields): Promise<ProviderConnectionEntity> {
    await this.connections.insert({ id, ...fields, source: 'api' });
    return this.connections.findOneByOrFail({ id });
  }

  /** Only a connection the API manages; null when there is none with that id. */
  async update(id: string, fields: Partial<ConnectionFields>): Promise<ProviderConnectionEntity | null> {
    const result = await this.connections.update({ id, source: 'api' }, fields);
    return (result.affected ?? 0) > 0 ? this.connections.findOneByOrFail({ id }) : null;
  }

  /** Only a connection the API manages. */
  async delete(id: string): Promise<boolean> {
    const result = await this.connections.delete({ id, source: 'api' });
    return (result.affected ?? 0) > 0;
  }

  /**
   * Makes the file's connections what the table holds for them: each named id written (taking over an API
   * connection of the same id: the file wins), and every other file connection removed.
   */
  async replaceFileManaged(rows: (ConnectionFields & { id: string })[]): Promise<void> {
    await this.connections.manager.transaction(async (manager) => {
      const repository = manager.getRepository(ProviderConnectionEntity);
      const source: ConnectionSource = 'file';
      const ids = rows.map((row) => row.id);
      await repository.delete(ids.length ? { source, id: Not(In(ids)) } : { source });
      if (rows.length) await repository.upsert(rows.map((row) => ({ ...row, source })), { conflictPaths: ['id'] });
    });
  }

  /** Re-seals a key under the current encryption key (rotation); the key itself is unchanged. */
  async reseal(id: string, sealedFrom: string, sealedTo: string): Promise<void> {
    await this.connections.update({ id, apiKeyEncrypted: sealedFrom }, { apiKeyEncrypted: sealedTo });
  }
}
