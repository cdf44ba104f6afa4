import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { ProviderCredentialEntity } from '../entities/provider-credential.entity.js';

export interface CredentialFields {
  apiKeyEncrypted: string | null;
  apiKeyHint: string | null;
  baseUrl: string | null;
  defaultModel: string | null;
}

@Injectable()
export class ProviderCredentialsRepository {
  constructor(@InjectRepository(ProviderCredentialEntity) private readonly credentials: Repository<ProviderCredentialEntity>) {}

  async upsertOwned(userId: string, provider: string, fields: CredentialFields): Promise<ProviderCredentialEntity> {
    await this.credentials.upsert({ userId, provider, ...fields }, { conflictPaths: ['userId', 'provider'] });
    return this.credentials.findOneByOrFail({ userId, provider });
  }

  /** Plain SQL: every chat turn reads its credential before the first token. */
  async findOwned(userId: string, provider: string): Promise<ProviderCredentialEntity | null> {
    const rows: ProviderCredentialEntity[] = await this.credentials.manager.query(
      `SELECT id, user_id AS "userId", provider, api_key_encrypted AS "apiKeyEncrypted", api_key_hint AS "apiKeyHint",
              base_url AS "baseUrl", default_model AS "defaultModel", created_at AS "createdAt", updated_at AS "updatedAt"
         FROM provider_credentials WHERE user_id = $1 AND provider = $2`,
      [userId, provider],
    );
    return rows[0] ?? null;
  }

  /** Re-seals a key under the current encryption key (rotation); the key itself is unchanged. */
  async resealOwned(userId: string, provider: string, sealedFrom: string, sealedTo: string): Promise<void> {
    await this.credentials.update({ userId, provider, apiKeyEncrypted: sealedFrom }, { apiKeyEncrypted: sealedTo });
  }

  listOwned(userId: string): Promise<ProviderCredentialEntity[]> {
    return this.credentials.find({ where: { userId }, order: { provider: 'ASC' } });
  }

  async deleteOwned(userId: string, provider: string): Promise<boolean> {
    const result = await this.credentials.delete({ userId, provider });
    return (result.affected ?? 0) > 0;
  }
}
