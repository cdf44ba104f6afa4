import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each refresh token remembers the account's token version it was issued under, so raising the version (log out
 * everywhere, password change) also ends every refresh token, including one rotated while the version was raised.
 */
export class RefreshTokenVersion1765200000000 implements MigrationInterface {
  name = 'RefreshTokenVersion1765200000000';

  async up(db: QueryRunner): Promise<void> {
    // Rows from before this column get version 0: a user who has raised theirs since then must sign in again.
    await db.query(`ALTER TABLE "refresh_tokens" ADD "token_version" integer NOT NULL DEFAULT 0`);
    await db.query(`ALTER TABLE "refresh_tokens" ALTER COLUMN "token_version" DROP DEFAULT`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE "refresh_tokens" DROP COLUMN "token_version"`);
  }
}
