import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The retention job (RETENTION_DAYS) looks for the sessions untouched the longest, across users. */
export class SessionRetention1764300000000 implements MigrationInterface {
  name = 'SessionRetention1764300000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`CREATE INDEX "IDX_chat_sessions_updated" ON "chat_sessions" ("updated_at")`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX "IDX_chat_sessions_updated"`);
  }
}
