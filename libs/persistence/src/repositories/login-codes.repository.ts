import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { LoginCodeEntity } from '../entities/login-code.entity.js';

@Injectable()
export class LoginCodesRepository {
  constructor(@InjectRepository(LoginCodeEntity) private readonly codes: Repository<LoginCodeEntity>) {}

  /**
   * Stores a code (by its hash) for the user, valid for `ttlSeconds` by the database's clock. Codes live a minute,
   * so the table holds about a minute of sign-ins: the expired ones are swept here rather than by a timer.
   */
  async create(userId: string, codeHash: string, ttlSeconds: number): Promise<void> {
    await this.codes.manager.query(`DELETE FROM login_codes WHERE expires_at < now()`);
    await this.codes.manager.query(`INSERT INTO login_codes (code_hash, user_id, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3))`, [
      codeHash,
      userId,
      ttlSeconds,
    ]);
  }

  /**
   * The redemption: by the code's hash, which is the credential itself. The code is deleted in the same statement
   * that reads it, so of two replicas (or two requests) redeeming one code, exactly one gets its user; an expired
   * code is deleted too, and gets nobody.
   */
  async redeem(codeHash: string): Promise<string | null> {
    const [rows] = (await this.codes.manager.query(`DELETE FROM login_codes WHERE code_hash = $1 RETURNING user_id AS "userId", expires_at > now() AS "fresh"`, [
      codeHash,
    ])) as [{ userId: string; fresh: boolean }[], number];
    const row = rows[0];
    return row?.fresh ? row.userId : null;
  }
}
