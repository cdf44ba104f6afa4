import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { UserEntity } from '../entities/user.entity.js';

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

@Injectable()
export class UsersRepository {
  constructor(@InjectRepository(UserEntity) private readonly users: Repository<UserEntity>) {}

  /** Returns null when the address is taken (unique index), so callers need no racy pre-check. */
  async createUser(input: { email: string; passwordHash: string; displayName: string }): Promise<UserEntity | null> {
    const rows = await this.users
      .createQueryBuilder()
      .insert()
      .values({ ...input, email: normaliseEmail(input.email) })
      .orIgnore()
      .returning('*')
      .execute();
    const row = (rows.raw as Record<string, unknown>[])[0];
    return row ? this.users.create({ ...input, email: normaliseEmail(input.email), id: row.id as string, createdAt: new Date(row.created_at as string) }) : null;
  }

  /** The login lookup: the only read that is not scoped to an already-known user. */
  findByEmail(email: string): Promise<UserEntity | null> {
    return this.users.findOneBy({ email: normaliseEmail(email) });
  }

  findSelf(userId: string): Promise<UserEntity | null> {
    return this.users.findOneBy({ id: userId });
  }

  /** Whether the account still exists: the authentication check for signed tokens, a primary-key probe. */
  exists(userId: string): Promise<boolean> {
    return this.users.existsBy({ id: userId });
  }
}
