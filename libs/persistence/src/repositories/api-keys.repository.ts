import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { ApiKeyEntity } from '../entities/api-key.entity.js';
import type { UserRole } from '../entities/user.entity.js';

export interface ApiKeyOwner {
  keyId: string;
  userId: string;
  role: UserRole;
}

@Injectable()
export class ApiKeysRepository {
  constructor(@InjectRepository(ApiKeyEntity) private readonly keys: Repository<ApiKeyEntity>) {}

  createOwned(userId: string, key: { name: string; prefix: string; secretHash: string }): Promise<ApiKeyEntity> {
    return this.keys.save(this.keys.create({ userId, ...key }));
  }

  listOwned(userId: string): Promise<ApiKeyEntity[]> {
    return this.keys.find({ where: { userId }, order: { createdAt: 'DESC' } });
  }

  async deleteOwned(userId: string, keyId: string): Promise<boolean> {
    const result = await this.keys.delete({ id: keyId, userId });
    return (result.affected ?? 0) > 0;
  }

  /**
   * The authentication lookup: by the secret's hash, which is the credential itself. Marks the key used. A key of
   * a disabled account is not found, in the same statement, so no cache can let it through.
   */
  async useKey(secretHash: string): Promise<ApiKeyOwner | null> {
    const [rows] = (await this.keys.manager.query(
      `UPDATE api_keys k SET last_used_at = now() FROM users u
       WHERE k.secret_hash = $1 AND u.id = k.user_id AND u.disabled_at IS NULL
       RETURNING k.id AS "keyId", k.user_id AS "userId", u.role AS "role"`,
      [secretHash],
    )) as [ApiKeyOwner[], number];
    return rows[0] ?? null;
  }
}
