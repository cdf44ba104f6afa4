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

  findOwned(userId: string, provider: string): Promise<ProviderCredentialEntity | null> {
    return this.credentials.findOneBy({ userId, provider });
  }

  listOwned(userId: string): Promise<ProviderCredentialEntity[]> {
    return this.credentials.find({ where: { userId }, order: { provider: 'ASC' } });
  }

  async deleteOwned(userId: string, provider: string): Promise<boolean> {
    const result = await this.credentials.delete({ userId, provider });
    return (result.affected ?? 0) > 0;
  }
}
