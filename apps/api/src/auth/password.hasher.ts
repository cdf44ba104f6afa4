import { Injectable } from '@nestjs/common';
import argon2 from 'argon2';

/**
 * argon2id with OWASP's recommended floor (19 MiB, 2 passes, 1 lane): about 20-30 ms per hash on one core,
 * which keeps a login cheap for us and a stolen hash expensive for an attacker.
 */
const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

@Injectable()
export class PasswordHasher {
  /** Verified against when the e-mail is unknown, so a miss costs as much time as a wrong password. */
  private readonly decoy = argon2.hash('decoy-password-for-timing', ARGON2_OPTIONS);

  hash(password: string): Promise<string> {
    return argon2.hash(password, ARGON2_OPTIONS);
  }

  async verify(hash: string | undefined, password: string): Promise<boolean> {
    const ok = await argon2.verify(hash ?? (await this.decoy), password);
    return hash !== undefined && ok;
  }
}
