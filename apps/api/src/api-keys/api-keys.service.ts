import { Injectable } from '@nestjs/common';
import { AppError, hashOpaqueSecret } from '@app/common';
import { type ApiKeyEntity, ApiKeysRepository } from '@app/persistence';
import type { AuthUser } from '../auth/auth-user.js';
import { generateApiKey } from './api-key.secret.js';

@Injectable()
export class ApiKeysService {
  constructor(private readonly keys: ApiKeysRepository) {}

  async create(userId: string, name: string): Promise<{ key: ApiKeyEntity; secret: string }> {
    const { secret, prefix, secretHash } = generateApiKey();
    return { key: await this.keys.createOwned(userId, { name: name.trim(), prefix, secretHash }), secret };
  }

  list(userId: string): Promise<ApiKeyEntity[]> {
    return this.keys.listOwned(userId);
  }

  async revoke(userId: string, keyId: string): Promise<void> {
    if (!(await this.keys.deleteOwned(userId, keyId))) throw new AppError('API_KEY_NOT_FOUND', 'API key not found');
  }

  /** Looked up on every request, so a revoked key stops working at once. */
  async authenticate(secret: string): Promise<AuthUser | null> {
    const owner = await this.keys.useKey(hashOpaqueSecret(secret));
    return owner ? { id: owner.userId, role: owner.role } : null;
  }
}
