import { Injectable } from '@nestjs/common';
import { AppError, hashOpaqueSecret } from '@app/common';
import { type ApiKeyEntity, ApiKeysRepository } from '@app/persistence';
import { AuditService } from '../audit/audit.service.js';
import type { RequestOrigin } from '../audit/request-origin.decorator.js';
import type { AuthUser } from '../auth/auth-user.js';
import { generateApiKey } from './api-key.secret.js';

@Injectable()
export class ApiKeysService {
  constructor(
    private readonly keys: ApiKeysRepository,
    private readonly audit: AuditService,
  ) {}

  async create(userId: string, name: string, origin: RequestOrigin): Promise<{ key: ApiKeyEntity; secret: string }> {
    const { secret, prefix, secretHash } = generateApiKey();
    const key = await this.keys.createOwned(userId, { name: name.trim(), prefix, secretHash });
    // The name and the shown prefix identify the key to an administrator; the secret never leaves this answer.
    await this.audit.record({ actor: userId, action: 'api_key.created', target: key.id, detail: { name: key.name, prefix: key.prefix } }, origin);
    return { key, secret };
  }

  list(userId: string): Promise<ApiKeyEntity[]> {
    return this.keys.listOwned(userId);
  }

  async revoke(userId: string, keyId: string, origin: RequestOrigin): Promise<void> {
    if (!(await this.keys.deleteOwned(userId, keyId))) throw new AppError('API_KEY_NOT_FOUND', 'API key not found');
    await this.audit.record({ actor: userId, action: 'api_key.revoked', target: keyId }, origin);
  }

  /** Looked up on every request, so a revoked key stops working at once. */
  async authenticate(secret: string): Promise<AuthUser | null> {
    const owner = await this.keys.useKey(hashOpaqueSecret(secret));
    return owner ? { id: owner.userId, role: owner.role } : null;
  }
}
