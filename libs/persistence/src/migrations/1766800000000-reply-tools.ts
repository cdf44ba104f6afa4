import type { MigrationInterface, QueryRunner } from 'typeorm';

/** A reply keeps the tools its request offered, so that answering its tool calls can offer them again. */
export class ReplyTools1766800000000 implements MigrationInterface {
  name = 'ReplyTools1766800000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE "messages" ADD "tools" jsonb`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE "messages" DROP COLUMN "tools"`);
  }
}
