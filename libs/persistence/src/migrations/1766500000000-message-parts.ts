import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Messages get an ordered list of typed parts (text, reasoning; tool calls and files later). Existing rows keep
 * null, which means "one text part, the content": no row is rewritten, and `content` stays the plain text.
 */
export class MessageParts1766500000000 implements MigrationInterface {
  name = 'MessageParts1766500000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE "messages" ADD "parts" jsonb`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE "messages" DROP COLUMN "parts"`);
  }
}
